"""What the reference receiver does with an accepted enrollment.

Three steps, each idempotent, run from a durable job queue in ``receiver.db`` (``jobs``):

1. ``scim``: provision the identity to the identity provider over SCIM 2.0 (one user per enrollment,
   found again by its enrollment id when a retry meets a 409 or a lost response);
2. ``token``: build the AgID "RAO pubblico" token (``ICRequestData`` encrypted with the activation
   code, signed by the registration authority);
3. ``mail``: email the citizen the second half of the activation code and the token, in their
   language, once per acceptance (the Message-ID is stored before sending).
"""
