#!/usr/bin/python3
"""Write tests/vectors/rfc/<case>/ from the RFC examples, after checking them.

Usage: /usr/bin/python3 gen_rfc.py DIR   (DIR: this folder)

The keys, tokens and octets below are copied from RFC 7515 Appendix A,
RFC 7520 3 and 4.1-4.4, RFC 7638 3.1 and RFC 8037 A. Before anything is
written they are checked with python3-cryptography, independently of libjot:
every signature verifies under its key, RSA PKCS#1 v1.5 and Ed25519
signatures are reproduced by signing again, private keys match their public
halves, and the RFC 7638 thumbprints are recomputed. The output is committed;
the tests read only the output.
"""
import base64, json, os, hashlib, sys
from cryptography.hazmat.primitives.asymmetric import rsa, ec, ed25519, padding, utils
from cryptography.hazmat.primitives import hashes, hmac

OUT = sys.argv[1]

def b64d(s):
    return base64.urlsafe_b64decode(s + '=' * (-len(s) % 4))
def b64e(b):
    return base64.urlsafe_b64encode(b).rstrip(b'=').decode()
def i(s):
    return int.from_bytes(b64d(s), 'big')

CLAIMS = bytes([123,34,105,115,115,34,58,34,106,111,101,34,44,13,10,32,34,101,120,112,34,58,49,51,48,48,56,49,57,51,56,48,44,13,10,32,34,104,116,116,112,58,47,47,101,120,97,109,112,108,101,46,99,111,109,47,105,115,95,114,111,111,116,34,58,116,114,117,101,125])
A1_HDR = bytes([123,34,116,121,112,34,58,34,74,87,84,34,44,13,10,32,34,97,108,103,34,58,34,72,83,50,53,54,34,125])
LOTR = b"It\xe2\x80\x99s a dangerous business, Frodo, going out your door. You step onto the road, and if you don't keep your feet, there\xe2\x80\x99s no knowing where you might be swept off to."

K_A1 = '{"kty":"oct","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"}'
K_A2 = '{"kty":"RSA","n":"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ","e":"AQAB","d":"Eq5xpGnNCivDflJsRQBXHx1hdR1k6Ulwe2JZD50LpXyWPEAeP88vLNO97IjlA7_GQ5sLKMgvfTeXZx9SE-7YwVol2NXOoAJe46sui395IW_GO-pWJ1O0BkTGoVEn2bKVRUCgu-GjBVaYLU6f3l9kJfFNS3E0QbVdxzubSu3Mkqzjkn439X0M_V51gfpRLI9JYanrC4D4qAdGcopV_0ZHHzQlBjudU2QvXt4ehNYTCBr6XCLQUShb1juUO1ZdiYoFaFQT5Tw8bGUl_x_jTj3ccPDVZFD9pIuhLhBOneufuBiB4cS98l2SR_RQyGWSeWjnczT0QU91p1DhOVRuOopznQ","p":"4BzEEOtIpmVdVEZNCqS7baC4crd0pqnRH_5IB3jw3bcxGn6QLvnEtfdUdiYrqBdss1l58BQ3KhooKeQTa9AB0Hw_Py5PJdTJNPY8cQn7ouZ2KKDcmnPGBY5t7yLc1QlQ5xHdwW1VhvKn-nXqhJTBgIPgtldC-KDV5z-y2XDwGUc","q":"uQPEfgmVtjL0Uyyx88GZFF1fOunH3-7cepKmtH4pxhtCoHqpWmT8YAmZxaewHgHAjLYsp1ZSe7zFYHj7C6ul7TjeLQeZD_YwD66t62wDmpe_HlB-TnBA-njbglfIsRLtXlnDzQkv5dTltRJ11BKBBypeeF6689rjcJIDEz9RWdc","dp":"BwKfV3Akq5_MFZDFZCnW-wzl-CCo83WoZvnLQwCTeDv8uzluRSnm71I3QCLdhrqE2e9YkxvuxdBfpT_PI7Yz-FOKnu1R6HsJeDCjn12Sk3vmAktV2zb34MCdy7cpdTh_YVr7tss2u6vneTwrA86rZtu5Mbr1C1XsmvkxHQAdYo0","dq":"h_96-mK1R_7glhsum81dZxjTnYynPbZpHziZjeeHcXYsXaaMwkOlODsWa7I9xXDoRwbKgB719rrmI2oKr6N3Do9U0ajaHF-NKJnwgjMd2w9cjz3_-kyNlxAr2v4IKhGNpmM5iIgOS1VZnOZ68m6_pbLBSp3nssTdlqvd0tIiTHU","qi":"IYd7DHOhrWvxkwPQsRM2tOgrjbcrfvtQJipd-DlcxyVuuM9sQLdgjVk2oy26F0EmpScGLq2MowX7fhd_QJQ3ydy5cY7YIBi87w93IKLEdfnbJtoOPLUW0ITrJReOgo1cq9SbsxYawBgfp_gh6A5603k2-ZQwVK0JKSHuLFkuQ3U"}'
K_A3 = '{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","d":"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"}'
K_A4 = '{"kty":"EC","crv":"P-521","x":"AekpBQ8ST8a8VcfVOTNl353vSrDCLLJXmPk06wTjxrrjcBpXp5EOnYG_NjFZ6OvLFV1jSfS9tsz4qUxcWceqwQGk","y":"ADSmRA43Z1DSNx_RvcLI87cdL07l6jQyyBXMoxVg_l2Th-x3S1WDhjDly79ajL4Kkd0AZMaZmh9ubmf63e3kyMj2","d":"AY5pb7A0UFiB3RELSD64fTLOSV_jazdF7fLYyuTw8lOfRhWg6Y6rUrPAxerEzgdRhajnu0ferB0d53vM9mE15j2C"}'
K_7520_EC = '{"kty":"EC","kid":"bilbo.baggins@hobbiton.example","use":"sig","crv":"P-521","x":"AHKZLLOsCOzz5cY97ewNUajB957y-C-U88c3v13nmGZx6sYl_oJXu9A5RkTKqjqvjyekWF-7ytDyRXYgCF5cj0Kt","y":"AdymlHvOiLxXkEhayXQnNCvDX4h9htZaCJN34kfmC6pV5OhQHiraVySsUdaQkAgDPrwQrJmbnX9cwlGfP-HqHZR1","d":"AAhRON2r9cqXX1hg-RoI6R1tX5p2rUAYdmpHZoC1XNM56KtscrX6zbKipQrCW9CGZH3T4ubpnoTKLDYJ_fF3_rJt"}'
K_7520_RSA = '{"kty":"RSA","kid":"bilbo.baggins@hobbiton.example","use":"sig","n":"n4EPtAOCc9AlkeQHPzHStgAbgs7bTZLwUBZdR8_KuKPEHLd4rHVTeT-O-XV2jRojdNhxJWTDvNd7nqQ0VEiZQHz_AJmSCpMaJMRBSFKrKb2wqVwGU_NsYOYL-QtiWN2lbzcEe6XC0dApr5ydQLrHqkHHig3RBordaZ6Aj-oBHqFEHYpPe7Tpe-OfVfHd1E6cS6M1FZcD1NNLYD5lFHpPI9bTwJlsde3uhGqC0ZCuEHg8lhzwOHrtIQbS0FVbb9k3-tVTU4fg_3L_vniUFAKwuCLqKnS2BYwdq_mzSnbLY7h_qixoR7jig3__kRhuaxwUkRz5iaiQkqgc5gHdrNP5zw","e":"AQAB","d":"bWUC9B-EFRIo8kpGfh0ZuyGPvMNKvYWNtB_ikiH9k20eT-O1q_I78eiZkpXxXQ0UTEs2LsNRS-8uJbvQ-A1irkwMSMkK1J3XTGgdrhCku9gRldY7sNA_AKZGh-Q661_42rINLRCe8W-nZ34ui_qOfkLnK9QWDDqpaIsA-bMwWWSDFu2MUBYwkHTMEzLYGqOe04noqeq1hExBTHBOBdkMXiuFhUq1BU6l-DqEiWxqg82sXt2h-LMnT3046AOYJoRioz75tSUQfGCshWTBnP5uDjd18kKhyv07lhfSJdrPdM5Plyl21hsFf4L_mHCuoFau7gdsPfHPxxjVOcOpBrQzwQ","p":"3Slxg_DwTXJcb6095RoXygQCAZ5RnAvZlno1yhHtnUex_fp7AZ_9nRaO7HX_-SFfGQeutao2TDjDAWU4Vupk8rw9JR0AzZ0N2fvuIAmr_WCsmGpeNqQnev1T7IyEsnh8UMt-n5CafhkikzhEsrmndH6LxOrvRJlsPp6Zv8bUq0k","q":"uKE2dh-cTf6ERF4k4e_jy78GfPYUIaUyoSSJuBzp3Cubk3OCqs6grT8bR_cu0Dm1MZwWmtdqDyI95HrUeq3MP15vMMON8lHTeZu2lmKvwqW7anV5UzhM1iZ7z4yMkuUwFWoBvyY898EXvRD-hdqRxHlSqAZ192zB3pVFJ0s7pFc","dp":"B8PVvXkvJrj2L-GYQ7v3y9r6Kw5g9SahXBwsWUzp19TVlgI-YV85q1NIb1rxQtD-IsXXR3-TanevuRPRt5OBOdiMGQp8pbt26gljYfKU_E9xn-RULHz0-ed9E9gXLKD4VGngpz-PfQ_q29pk5xWHoJp009Qf1HvChixRX59ehik","dq":"CLDmDGduhylc9o7r84rEUVn7pzQ6PF83Y-iBZx5NT-TpnOZKF1pErAMVeKzFEl41DlHHqqBLSM0W1sOFbwTxYWZDm6sI6og5iTbwQGIC3gnJKbi_7k_vJgGHwHxgPaX2PnvP-zyEkDERuf-ry4c_Z11Cq9AqC2yeL6kdKT1cYF8","qi":"3PiqvXQN0zwMeE-sBvZgi289XP9XCQF3VWqPzMKnIgQp7_Tugo6-NZBKCQsMf3HaEGBjTVJs_jcK8-TRXvaKe-7ZMaQj8VfBdYkssbu0NKDDhjJ-GtiseaDVWt7dcH0cfwxgFUHpQh7FoCrjFJ6h6ZEpMF6xmujs4qMpPz8aaI4"}'
K_7520_HS = '{"kty":"oct","kid":"018c0ae5-4d9b-471b-bfd6-eef314bc7037","use":"sig","alg":"HS256","k":"hJtXIZ2uSN5kbQfbtTNWbpdmhkV8FJG-Onbc6mxCcYg"}'
K_8037_PRIV = '{"kty":"OKP","crv":"Ed25519","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}'
K_8037_PUB = '{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}'
K_7638 = '{"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB","alg":"RS256","kid":"2011-04-29"}'

T_A1 = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
T_A2 = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw"
T_A3 = "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q"
T_A4 = "eyJhbGciOiJFUzUxMiJ9.UGF5bG9hZA.AdwMgeerwtHoh-l192l60hp9wAHZFVJbLfD_UxMi70cwnZOYaRI1bKPWROc-mZZqwqT2SI-KGDKB34XO0aw_7XdtAG8GaSwFKdCAPZgoXD2YBJZCPEX3xKpRwcdOO8KpEHwJjyqOgzDO7iKvU8vcnwNrmxYbSW9ERBXukOXolLzeO_Jn"
T_A5 = "eyJhbGciOiJub25lIn0.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ."
T_41 = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZXhhbXBsZSJ9.SXTigJlzIGEgZGFuZ2Vyb3VzIGJ1c2luZXNzLCBGcm9kbywgZ29pbmcgb3V0IHlvdXIgZG9vci4gWW91IHN0ZXAgb250byB0aGUgcm9hZCwgYW5kIGlmIHlvdSBkb24ndCBrZWVwIHlvdXIgZmVldCwgdGhlcmXigJlzIG5vIGtub3dpbmcgd2hlcmUgeW91IG1pZ2h0IGJlIHN3ZXB0IG9mZiB0by4.MRjdkly7_-oTPTS3AXP41iQIGKa80A0ZmTuV5MEaHoxnW2e5CZ5NlKtainoFmKZopdHM1O2U4mwzJdQx996ivp83xuglII7PNDi84wnB-BDkoBwA78185hX-Es4JIwmDLJK3lfWRa-XtL0RnltuYv746iYTh_qHRD68BNt1uSNCrUCTJDt5aAE6x8wW1Kt9eRo4QPocSadnHXFxnt8Is9UzpERV0ePPQdLuW3IS_de3xyIrDaLGdjluPxUAhb6L2aXic1U12podGU0KLUQSE_oI-ZnmKJ3F4uOZDnd6QZWJushZ41Axf_fcIe8u9ipH84ogoree7vjbU5y18kDquDg"
T_42 = "eyJhbGciOiJQUzM4NCIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZXhhbXBsZSJ9.SXTigJlzIGEgZGFuZ2Vyb3VzIGJ1c2luZXNzLCBGcm9kbywgZ29pbmcgb3V0IHlvdXIgZG9vci4gWW91IHN0ZXAgb250byB0aGUgcm9hZCwgYW5kIGlmIHlvdSBkb24ndCBrZWVwIHlvdXIgZmVldCwgdGhlcmXigJlzIG5vIGtub3dpbmcgd2hlcmUgeW91IG1pZ2h0IGJlIHN3ZXB0IG9mZiB0by4.cu22eBqkYDKgIlTpzDXGvaFfz6WGoz7fUDcfT0kkOy42miAh2qyBzk1xEsnk2IpN6-tPid6VrklHkqsGqDqHCdP6O8TTB5dDDItllVo6_1OLPpcbUrhiUSMxbbXUvdvWXzg-UD8biiReQFlfz28zGWVsdiNAUf8ZnyPEgVFn442ZdNqiVJRmBqrYRXe8P_ijQ7p8Vdz0TTrxUeT3lm8d9shnr2lfJT8ImUjvAA2Xez2Mlp8cBE5awDzT0qI0n6uiP1aCN_2_jLAeQTlqRHtfa64QQSUmFAAjVKPbByi7xho0uTOcbH510a6GYmJUAfmWjwZ6oD4ifKo8DYM-X72Eaw"
T_43 = "eyJhbGciOiJFUzUxMiIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZXhhbXBsZSJ9.SXTigJlzIGEgZGFuZ2Vyb3VzIGJ1c2luZXNzLCBGcm9kbywgZ29pbmcgb3V0IHlvdXIgZG9vci4gWW91IHN0ZXAgb250byB0aGUgcm9hZCwgYW5kIGlmIHlvdSBkb24ndCBrZWVwIHlvdXIgZmVldCwgdGhlcmXigJlzIG5vIGtub3dpbmcgd2hlcmUgeW91IG1pZ2h0IGJlIHN3ZXB0IG9mZiB0by4.AE_R_YZCChjn4791jSQCrdPZCNYqHXCTZH0-JZGYNlaAjP2kqaluUIIUnC9qvbu9Plon7KRTzoNEuT4Va2cmL1eJAQy3mtPBu_u_sDDyYjnAMDxXPn7XrT0lw-kvAD890jl8e2puQens_IEKBpHABlsbEPX6sFY8OcGDqoRuBomu9xQ2"
T_44 = "eyJhbGciOiJIUzI1NiIsImtpZCI6IjAxOGMwYWU1LTRkOWItNDcxYi1iZmQ2LWVlZjMxNGJjNzAzNyJ9.SXTigJlzIGEgZGFuZ2Vyb3VzIGJ1c2luZXNzLCBGcm9kbywgZ29pbmcgb3V0IHlvdXIgZG9vci4gWW91IHN0ZXAgb250byB0aGUgcm9hZCwgYW5kIGlmIHlvdSBkb24ndCBrZWVwIHlvdXIgZmVldCwgdGhlcmXigJlzIG5vIGtub3dpbmcgd2hlcmUgeW91IG1pZ2h0IGJlIHN3ZXB0IG9mZiB0by4.s0h6KThzkfBBBkLspW1h84VsJZFTsPPqMDA7g1Md7p0"
T_8037 = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"

# ---- independent cross-checks -------------------------------------------
def parts(tok):
    h, p, s = tok.split('.')
    return (h + '.' + p).encode(), b64d(h), b64d(p), b64d(s)

def rsa_pub(j):
    return rsa.RSAPublicNumbers(i(j['e']), i(j['n'])).public_key()
def rsa_priv(j):
    pub = rsa.RSAPublicNumbers(i(j['e']), i(j['n']))
    return rsa.RSAPrivateNumbers(i(j['p']), i(j['q']), i(j['d']), i(j['dp']), i(j['dq']), i(j['qi']), pub).private_key()
def ec_pub(j):
    crv = {'P-256': ec.SECP256R1(), 'P-384': ec.SECP384R1(), 'P-521': ec.SECP521R1()}[j['crv']]
    return ec.EllipticCurvePublicNumbers(i(j['x']), i(j['y']), crv).public_key()
def ec_priv(j):
    crv = {'P-256': ec.SECP256R1(), 'P-384': ec.SECP384R1(), 'P-521': ec.SECP521R1()}[j['crv']]
    return ec.derive_private_key(i(j['d']), crv)

def check_hs(k, tok, h=hashes.SHA256()):
    si, _, _, sig = parts(tok)
    m = hmac.HMAC(b64d(json.loads(k)['k']), h); m.update(si); assert m.finalize() == sig, tok[:20]
def check_rs(k, tok, h):
    j = json.loads(k); si, _, _, sig = parts(tok)
    rsa_pub(j).verify(sig, si, padding.PKCS1v15(), h)
    assert rsa_priv(j).sign(si, padding.PKCS1v15(), h) == sig   # deterministic
def check_ps(k, tok, h):
    j = json.loads(k); si, _, _, sig = parts(tok)
    rsa_pub(j).verify(sig, si, padding.PSS(padding.MGF1(h), h.digest_size), h)
    rsa_priv(j)
def check_es(k, tok, h, n):
    j = json.loads(k); si, _, _, sig = parts(tok)
    assert len(sig) == 2 * n
    r, s = int.from_bytes(sig[:n], 'big'), int.from_bytes(sig[n:], 'big')
    ec_pub(j).verify(utils.encode_dss_signature(r, s), si, ec.ECDSA(h))
    assert ec_priv(j).public_key().public_numbers() == ec_pub(j).public_numbers()
def check_ed(k, tok):
    j = json.loads(k); si, _, _, sig = parts(tok)
    ed25519.Ed25519PublicKey.from_public_bytes(b64d(j['x'])).verify(sig, si)
    assert ed25519.Ed25519PrivateKey.from_private_bytes(b64d(j['d'])).sign(si) == sig

def thumb(k):
    j = json.loads(k)
    req = {'RSA': ['e', 'kty', 'n'], 'EC': ['crv', 'kty', 'x', 'y'], 'OKP': ['crv', 'kty', 'x'], 'oct': ['k', 'kty']}[j['kty']]
    s = '{' + ','.join('"%s":"%s"' % (m, j[m]) for m in req) + '}'
    return b64e(hashlib.sha256(s.encode()).digest())

check_hs(K_A1, T_A1); check_rs(K_A2, T_A2, hashes.SHA256()); check_es(K_A3, T_A3, hashes.SHA256(), 32)
check_es(K_A4, T_A4, hashes.SHA512(), 66)
check_rs(K_7520_RSA, T_41, hashes.SHA256()); check_ps(K_7520_RSA, T_42, hashes.SHA384())
check_es(K_7520_EC, T_43, hashes.SHA512(), 66); check_hs(K_7520_HS, T_44); check_ed(K_8037_PRIV, T_8037)
assert parts(T_A1)[1] == A1_HDR and parts(T_A1)[2] == CLAIMS
for t in (T_A2, T_A3, T_A5): assert parts(t)[2] == CLAIMS
for t in (T_41, T_42, T_43, T_44): assert parts(t)[2] == LOTR
assert parts(T_A4)[2] == b'Payload' and parts(T_8037)[2] == b'Example of Ed25519 signing'
assert thumb(K_7638) == 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs'
assert thumb(K_8037_PUB) == thumb(K_8037_PRIV) == 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k'
assert T_A5.endswith('.') and b64d(T_A5.split('.')[0]) == b'{"alg":"none"}'

# ---- write the cases -----------------------------------------------------
def case(name, key, expect, token=None):
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, 'key.jwk'), 'w') as f:
        f.write(key + '\n')
    if token is not None:
        with open(os.path.join(d, 'token'), 'w') as f:
            f.write(token + '\n')
    if token is not None and any(e.startswith('verify') and e.endswith(' ok') for e in expect):
        expect = expect + ['alg ' + json.loads(parts(token)[1])['alg']]
    with open(os.path.join(d, 'expect'), 'w') as f:
        f.write('\n'.join(expect) + '\n')

def hx(b):
    return b.hex()

EXP_BEFORE, EXP_AT, EXP_AFTER = 1300819370, 1300819380, 1300819390
def jwt_checks(tok):
    return ['mode jwt',
            'verify %d ok' % EXP_BEFORE,
            'verify %d expired' % EXP_AT,
            'verify %d expired' % EXP_AFTER,
            'verify - expired',
            'payload-hex ' + hx(parts(tok)[2]),
            'claim-string iss joe',
            'claim-int exp 1300819380']

case('rfc7515-a1', K_A1, ['# RFC 7515 Appendix A.1: JWS using HMAC SHA-256 (the header holds CR LF).',
     'ref RFC 7515 A.1'] + jwt_checks(T_A1) + ['header-hex ' + hx(A1_HDR), 'sign HS256'], T_A1)
case('rfc7515-a2', K_A2, ['# RFC 7515 Appendix A.2: JWS using RSASSA-PKCS1-v1_5 SHA-256.',
     'ref RFC 7515 A.2'] + jwt_checks(T_A2) + ['header-hex ' + hx(parts(T_A2)[1]), 'sign RS256'], T_A2)
case('rfc7515-a3', K_A3, ['# RFC 7515 Appendix A.3: JWS using ECDSA P-256 SHA-256 (randomised: verify only).',
     'ref RFC 7515 A.3'] + jwt_checks(T_A3), T_A3)
case('rfc7515-a4', K_A4, ['# RFC 7515 Appendix A.4: JWS using ECDSA P-521 SHA-512; the payload "Payload" is no claims set.',
     'ref RFC 7515 A.4', 'mode jws', 'verify - ok', 'payload-hex ' + hx(b'Payload')], T_A4)
case('rfc7515-a5', K_A1, ['# RFC 7515 Appendix A.5: an Unsecured JWS ("alg":"none"). The verifier holds the',
     '# A.1 HMAC key, and must still refuse it (RFC 8725 3.1: none is never accepted).',
     'ref RFC 7515 A.5', 'mode jwt', 'verify %d alg-not-allowed' % EXP_BEFORE, 'verify - alg-not-allowed'], T_A5)
LOTR_CHECKS = ['mode jws', 'verify - ok', 'payload-hex ' + hx(LOTR)]
case('rfc7520-4.1', K_7520_RSA, ['# RFC 7520 4.1: RSA v1.5 signature (RS256) with the RSA key of Figure 4; the compact serialization of 4.1.3.',
     'ref RFC 7520 4.1'] + LOTR_CHECKS + ['header-hex ' + hx(parts(T_41)[1]), 'sign RS256'], T_41)
case('rfc7520-4.2', K_7520_RSA, ['# RFC 7520 4.2: RSA-PSS signature (PS384) with the RSA key of Figure 4; the compact serialization of 4.2.3 (randomised).',
     'ref RFC 7520 4.2'] + LOTR_CHECKS, T_42)
case('rfc7520-4.3', K_7520_EC, ['# RFC 7520 4.3: ECDSA signature (ES512) with the P-521 key of Figure 2; the compact serialization of 4.3.3 (randomised).',
     'ref RFC 7520 4.3'] + LOTR_CHECKS, T_43)
case('rfc7520-4.4', K_7520_HS, ['# RFC 7520 4.4: HMAC-SHA2 integrity protection (HS256) with the key of Figure 5; the compact serialization of 4.4.3.',
     'ref RFC 7520 4.4'] + LOTR_CHECKS + ['header-hex ' + hx(parts(T_44)[1]), 'sign HS256'], T_44)
case('rfc8037-a4', K_8037_PRIV, ['# RFC 8037 A.4: Ed25519 signature with the key of A.1 (deterministic, RFC 8032).',
     'ref RFC 8037 A.4', 'mode jws', 'verify - ok', 'payload-hex ' + hx(b'Example of Ed25519 signing'),
     'header-hex ' + hx(parts(T_8037)[1]), 'sign EdDSA',
     'thumbprint kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k'], T_8037)
case('rfc8037-a3', K_8037_PUB, ['# RFC 8037 A.3: the RFC 7638 thumbprint of the Ed25519 public key of A.2.',
     'ref RFC 8037 A.3', 'thumbprint kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k'])
case('rfc7638-3.1', K_7638, ['# RFC 7638 3.1: the thumbprint of the example RSA key (kid and alg are not hashed).',
     'ref RFC 7638 3.1', 'thumbprint NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs'])
print('ok')
