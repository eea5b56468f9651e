"""PACE against the published worked example, both roles: the kiosk's terminal and the emulator's chip.

The values are ICAO Doc 9303 part 11, Appendix G.1 (ECDH Generic Mapping on brainpoolP256r1, MRZ
password, AES-128), as transcribed with the exchanged APDUs in the public test suite of the dmrtd
eMRTD library (ZeroPass), which also gives the CAN "123456" K_pi; the AES secure-messaging examples
are from the gmrtd library's tests. None was computed by this code: a bug shared by the reader and
the emulator (KDF, mapping, tokens, MAC input, padding, counter) fails here.
"""

from __future__ import annotations

import hashlib

import pytest

from hardware.card import pace
from hardware.card.emrtd import check_digit
from hardware.card.ec import BRAINPOOL_P256R1 as CURVE
from hardware.card.emulator.pace_chip import ChipSession, PaceChip
from hardware.errors import CardDataInvalid

H = bytes.fromhex

MRZ_SEED = H("7E2D2A41C74EA0B38CD36F863939BFA8E9032AAD")  # SHA-1 of the MRZ information
K_PI = H("89DED1B26624EC1E634C1989302849DD")
CAN_123456_K_PI = H("591468CDA83D65219CCCB8560233600F")
NONCE_ENCRYPTED = H("95A3A016522EE98D01E76CB6B98B42C3")
NONCE = H("3F00C4D39D153F2B2A214A078D899B22")
TERMINAL_MAP_SK = int("7F4EF07B9EA82FD78AD689B38D0BC78CF21F249D953BC46F4C6E19259C010F99", 16)
TERMINAL_MAP_PK = (int("7ACF3EFC982EC45565A4B155129EFBC74650DCBFA6362D896FC70262E0C2CC5E", 16),
                   int("544552DCB6725218799115B55C9BAA6D9F6BC3A9618E70C25AF71777A9C4922D", 16))
CHIP_MAP_SK = int("498FF49756F2DC1587840041839A85982BE7761D14715FB091EFA7BCE9058560", 16)
CHIP_MAP_PK = (int("824FBA91C9CBE26BEF53A0EBE7342A3BF178CEA9F45DE0B70AA601651FBA3F57", 16),
               int("30D8C879AAA9C9F73991E61B58F4D52EB87A0A0C709A49DC63719363CCD13C54", 16))
MAPPING_H = (int("60332EF2450B5D247EF6D3868397D398852ED6E8CAF6FFEEF6BF85CA57057FD5", 16),
             int("0840CA7415BAF3E43BD414D35AA4608B93A2CAF3A4E3EA4E82C9C13D03EB7181", 16))
MAPPED_G = (int("8CED63C91426D4F0EB1435E7CB1D74A46723A0AF21C89634F65A9AE87A9265E2", 16),
            int("8C879506743F8611AC33645C5B985C80B5F09A0B83407C1B6A4D857AE76FE522", 16))
TERMINAL_EPH_SK = int("A73FB703AC1436A18E0CFA5ABB3F7BEC7A070E7A6788486BEE230C4A22762595", 16)
TERMINAL_EPH_PK = (int("2DB7A64C0355044EC9DF190514C625CBA2CEA48754887122F3A5EF0D5EDD301C", 16),
                   int("3556F3B3B186DF10B857B58F6A7EB80F20BA5DC7BE1D43D9BF850149FBB36462", 16))
CHIP_EPH_SK = int("107CF58696EF6155053340FD633392BA81909DF7B9706F226F32086C7AFF974A", 16)
CHIP_EPH_PK = (int("9E880F842905B8B3181F7AF7CAA9F0EFB743847F44A306D2D28C1D9EC65DF6DB", 16),
               int("7764B22277A2EDDC3C265A9F018F9CB852E111B768B326904B59A0193776F094", 16))
SHARED_SECRET = H("28768D20701247DAE81804C9E780EDE582A9996DB4A315020B2733197DB84925")
CARD_ACCESS = H("31143012060A04007F0007020204020202010202010D")
KS_ENC = H("F5F0E35C0D7161EE6724EE513A0D9A7F")
KS_MAC = H("FE251C7858B356B24514B3BD5F4297D1")
TOKEN_INPUT_TERMINAL = H("7F494F060A04007F000702020402028641049E880F842905B8B3181F7AF7CAA9F0EFB743847F44A306D2D28C1D9E"
                         "C65DF6DB7764B22277A2EDDC3C265A9F018F9CB852E111B768B326904B59A0193776F094")
T_IFD = H("C2B0BD78D94BA866")
T_IC = H("3ABB9674BCE93C08")

# (terminal's command, chip's response) of the whole run
EXCHANGE = [
    (H("0022C1A40F800A04007F00070202040202830101"), H("9000")),
    (H("10860000027C0000"), H("7C12801095A3A016522EE98D01E76CB6B98B42C39000")),
    (H("10860000457C438141047ACF3EFC982EC45565A4B155129EFBC74650DCBFA6362D896FC70262E0C2CC5E544552DCB67252"
       "18799115B55C9BAA6D9F6BC3A9618E70C25AF71777A9C4922D00"),
     H("7C43824104824FBA91C9CBE26BEF53A0EBE7342A3BF178CEA9F45DE0B70AA601651FBA3F5730D8C879AAA9C9F73991E61B"
       "58F4D52EB87A0A0C709A49DC63719363CCD13C549000")),
    (H("10860000457C438341042DB7A64C0355044EC9DF190514C625CBA2CEA48754887122F3A5EF0D5EDD301C3556F3B3B186DF"
       "10B857B58F6A7EB80F20BA5DC7BE1D43D9BF850149FBB3646200"),
     H("7C438441049E880F842905B8B3181F7AF7CAA9F0EFB743847F44A306D2D28C1D9EC65DF6DB7764B22277A2EDDC3C265A9F"
       "018F9CB852E111B768B326904B59A0193776F0949000")),
    (H("008600000C7C0A8508C2B0BD78D94BA86600"), H("7C0A86083ABB9674BCE93C089000")),
]


def test_the_key_derivation_gives_icao_k_pi_for_the_mrz_and_the_can():
    # the example's document: number T22000129, born 1964-08-12, expires 2010-10-31
    mrz_information = "".join(field + check_digit(field) for field in ("T22000129", "640812", "101031"))
    assert hashlib.sha1(mrz_information.encode()).digest() == MRZ_SEED
    assert pace.mrz_key(mrz_information) == K_PI
    assert pace.kdf(MRZ_SEED, 3) == K_PI
    assert pace.can_key("123456") == CAN_123456_K_PI
    assert pace.kdf(SHARED_SECRET, 1) == KS_ENC and pace.kdf(SHARED_SECRET, 2) == KS_MAC


def test_the_curve_arithmetic_gives_the_example_keys_and_mapping():
    assert CURVE.multiply(TERMINAL_MAP_SK, CURVE.g) == TERMINAL_MAP_PK
    assert CURVE.multiply(CHIP_MAP_SK, CURVE.g) == CHIP_MAP_PK
    assert CURVE.multiply(TERMINAL_MAP_SK, CHIP_MAP_PK) == MAPPING_H == CURVE.multiply(CHIP_MAP_SK, TERMINAL_MAP_PK)
    mapped = CURVE.add(CURVE.multiply(int.from_bytes(NONCE, "big"), CURVE.g), MAPPING_H)
    assert mapped == MAPPED_G
    assert CURVE.multiply(TERMINAL_EPH_SK, MAPPED_G) == TERMINAL_EPH_PK
    assert CURVE.multiply(CHIP_EPH_SK, MAPPED_G) == CHIP_EPH_PK
    assert CURVE.x_bytes(CURVE.multiply(TERMINAL_EPH_SK, CHIP_EPH_PK)) == SHARED_SECRET


def test_tokens_and_their_input_match_the_example():
    oid = pace.ECDH_GM_AES_CMAC_128
    assert pace.public_key_data(oid, CURVE, CHIP_EPH_PK) == TOKEN_INPUT_TERMINAL
    assert pace.token(KS_MAC, oid, CURVE, CHIP_EPH_PK) == T_IFD
    assert pace.token(KS_MAC, oid, CURVE, TERMINAL_EPH_PK) == T_IC


def test_ef_card_access_names_ecdh_gm_aes128_on_brainpool():
    info, curve = pace.choose(pace.parse_card_access(CARD_ACCESS))
    assert (info.oid, info.version, info.parameter_id, curve) == (pace.ECDH_GM_AES_CMAC_128, 2, 13, CURVE)


def test_the_terminal_sends_exactly_the_example_commands_and_agrees_the_keys():
    replies = iter(EXCHANGE)
    sent = []

    def card(command: bytes):
        expected, response = next(replies)
        sent.append(command)
        assert command.hex().upper() == expected.hex().upper(), f"step {len(sent)}"
        return response[:-2], int.from_bytes(response[-2:], "big")

    keys = iter([TERMINAL_MAP_SK, TERMINAL_EPH_SK])
    info, curve = pace.choose(pace.parse_card_access(CARD_ACCESS))
    terminal = pace.PaceTerminal(card, password_key=K_PI, password_ref=pace.PASSWORD_MRZ, info=info, curve=curve,
                                 scalar=lambda: next(keys))
    sm = terminal.establish()
    assert len(sent) == 5
    assert terminal.nonce == NONCE and terminal.mapped_generator == MAPPED_G
    assert (sm.ks_enc, sm.ks_mac, sm.ssc) == (KS_ENC, KS_MAC, 0)


def test_the_emulated_chip_answers_exactly_the_example_responses():
    chip = PaceChip(card_access=CARD_ACCESS, passwords={pace.PASSWORD_MRZ: K_PI},
                    nonce=lambda: NONCE, scalars=iter([CHIP_MAP_SK, CHIP_EPH_SK]).__next__)
    for command, response in EXCHANGE:
        data, sw = chip.authenticate(command)
        assert (data + sw.to_bytes(2, "big")).hex().upper() == response.hex().upper()
    assert chip.session is not None and chip.session.keys == (KS_ENC, KS_MAC)


def test_a_point_off_the_curve_is_refused():
    x, y = CHIP_MAP_PK
    with pytest.raises(CardDataInvalid, match="not on the curve"):
        CURVE.decode_point(b"\x04" + x.to_bytes(32, "big") + ((y + 1) % CURVE.p).to_bytes(32, "big"))
    with pytest.raises(CardDataInvalid):
        CURVE.decode_point(b"\x02" + x.to_bytes(32, "big"))
    with pytest.raises(CardDataInvalid):
        CURVE.decode_point(b"\x04" + CURVE.p.to_bytes(32, "big") + y.to_bytes(32, "big"))


def test_scalar_multiplication_agrees_with_openssl_on_random_keys():
    from cryptography.hazmat.primitives.asymmetric import ec

    for k in (1, 2, 3, CURVE.n - 1, *(CURVE.random_scalar() for _ in range(5))):
        numbers = ec.derive_private_key(k, ec.BrainpoolP256R1()).public_key().public_numbers()
        assert CURVE.multiply(k, CURVE.g) == (numbers.x, numbers.y)
    assert CURVE.multiply(CURVE.n, CURVE.g) is None
    assert CURVE.add(CURVE.g, CURVE.multiply(CURVE.n - 1, CURVE.g)) is None


# AES secure messaging, from the gmrtd eMRTD library's test suite (iso7816/secure_messaging_test.go):
# an MSE:Set AT protected with SSC ...BA, and a READ BINARY answer opened with SSC ...0B.
SM_COMMAND = dict(ks_enc=H("CC86415F2ED7E8FD663B754265695AE1"), ks_mac=H("581E84B8EE06C4D3EEE30461498D7FB3"), ssc=0xBA,
                  plain=H("002241A40F800A04007F000702020302028401C3"),
                  protected=H("0C2241A41D871101980953D37F67558690045D78A853B18A8E08929767A2CEF172E200"))
SM_RESPONSE = dict(
    ks_enc=H("A8E85E938514EC67AE33CDA3D43D3C48"), ks_mac=H("27F1ADEB705A049A305B0C619B14B9B3"), ssc=0x0B,
    protected=H(
        "8781e1012fabf9e0655d7e987fd28a8aeb19c9cadd990d49399799ed1fe465bcea56da9ba3024291d40d23d7f1e00485d71fadd"
        "c6d8c1382e8028dd22efdcc72ed47663d56d20dd6c4b867956fe0507313083ae7fc54fb46133f184febbe13ad6fd3e2616a1f4a8"
        "29e75ada1a0e443ca738288f6014be8a7745d8259b089e6bee35bcc4bf5b63db5fdd84244f67eca099213b70a861b4487225aa6"
        "8af684278fceb4cb809de42be3ee95b0e0d72bcdb0ed47cb56efc264e04a9397a90e81ad1d81efa2d14b2ca8ec7bd997f4b1c1fd"
        "344d5dee8589c38b227ca4cb35810060a7cc76403e990290008e083eb47ef4fa82afc9"),
    plain=H(
        "a729901d1a71874700133107ec53306404307bc382c63d8c150c3c72080ace05afa0c2bea28e4fb22787139165efba91f90f8aa"
        "5814a503ad4eb04a8c7dd22ce2826043004a8c7dd22ce28268b39b55416f0447c2fb77de107dcd2a62e880ea53eeb62d57cb4390"
        "295dbc9943ab78696fa504c110461041d1c64f068cf45ffa2a63a81b7c13f6b8847a3e77ef14fe3db7fcafe0cbd10e8e826e0343"
        "6d646aaef87b2e247d4af1e8abe1d7520f9c2a45cb1eb8e95cfd55262b70b29feec5864e19c054ff99129280e4646217791811142"
        "820341263c53150231008cb91e82a3"),
)


def test_secure_messaging_protects_a_command_like_the_published_example_both_roles():
    v = SM_COMMAND
    terminal = pace.SecureMessaging(v["ks_enc"], v["ks_mac"], ssc=v["ssc"])
    assert terminal.protect(0x00, 0x22, 0x41, 0xA4, v["plain"][5:]) == v["protected"]
    chip = ChipSession(v["ks_enc"], v["ks_mac"])
    chip.ssc = v["ssc"]
    assert chip.open_command(v["protected"]) == v["plain"]


def test_secure_messaging_opens_a_response_like_the_published_example_both_roles():
    v = SM_RESPONSE
    terminal = pace.SecureMessaging(v["ks_enc"], v["ks_mac"], ssc=v["ssc"])
    assert terminal.unprotect(v["protected"], 0x9000) == (v["plain"], 0x9000)
    chip = ChipSession(v["ks_enc"], v["ks_mac"])
    chip.ssc = v["ssc"]
    assert chip.seal_response(v["plain"], 0x9000) == v["protected"]
