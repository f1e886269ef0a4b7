#!/usr/bin/python3
"""Write the fuzz targets' keys (fuzz/keys/) and seed corpora (fuzz/corpus/).

Usage: /usr/bin/python3 fuzz/gen_corpus.py   (needs python3-cryptography)

The output is committed; the fuzz targets only read it. Keys are made on the
first run and reused afterwards (fz-*.jwk), or copied from the test vectors
and the benchmark (the RFC example keys, tests/vectors/attacks/keys,
bench/keys), so that the RFC and attack tokens seeded here verify under the
fuzz_verify target's own key set. Running the script again rewrites the seed
files it made (names seed-*); files libFuzzer added (SHA-1 names) are kept.

Seeds, per target:
  fuzz_verify     tokens for every algorithm and key type, signed by the
                  fuzz keys, with varied headers and claims; the RFC tokens;
                  every token of tests/vectors/attacks/attacks.txt; and
                  "raw mode" inputs (see fuzz_verify.c) that the target signs
  fuzz_claims     claims sets (option bytes + JSON; see fuzz_claims.c)
  fuzz_jwk        every JWK, JWKS and PEM key of the tests, the benchmark
                  and Wycheproof's json_web_key_test.json
  fuzz_pem        every PEM file of the tests and the benchmark
  fuzz_jscan      decoded headers and payloads, JWKs, and JSON edge cases
  fuzz_base64url  token segments and edge cases
"""
import base64, glob, hashlib, json, os, shutil

from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa, utils

FUZZ = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(FUZZ)
KEYS = os.path.join(FUZZ, 'keys')
CORPUS = os.path.join(FUZZ, 'corpus')
VECTORS = os.path.join(ROOT, 'tests', 'vectors')


def b64e(b):
    return base64.urlsafe_b64encode(b).rstrip(b'=').decode()


def b64d(s):
    return base64.urlsafe_b64decode(s + '=' * (-len(s) % 4))


def ival(s):
    return int.from_bytes(b64d(s), 'big')


def ib(n, size=None):
    if size is None:
        size = (n.bit_length() + 7) // 8
    return b64e(n.to_bytes(size, 'big'))


# ---- keys ---------------------------------------------------------------------

EC_CURVES = {'P-256': (ec.SECP256R1(), 32, hashes.SHA256(), 'ES256'),
             'P-384': (ec.SECP384R1(), 48, hashes.SHA384(), 'ES384'),
             'P-521': (ec.SECP521R1(), 66, hashes.SHA512(), 'ES512')}


def ec_jwk(priv, crv, kid):
    size = EC_CURVES[crv][1]
    pn = priv.public_key().public_numbers()
    return {'kty': 'EC', 'crv': crv, 'kid': kid, 'x': ib(pn.x, size), 'y': ib(pn.y, size),
            'd': ib(priv.private_numbers().private_value, size)}


def rsa_jwk(priv, kid):
    pn = priv.public_key().public_numbers()
    sn = priv.private_numbers()
    return {'kty': 'RSA', 'kid': kid, 'n': ib(pn.n), 'e': ib(pn.e), 'd': ib(sn.d), 'p': ib(sn.p),
            'q': ib(sn.q), 'dp': ib(sn.dmp1), 'dq': ib(sn.dmq1), 'qi': ib(sn.iqmp)}


def okp_jwk(priv, crv, kid):
    from cryptography.hazmat.primitives import serialization as ser
    raw = (ser.Encoding.Raw, ser.PrivateFormat.Raw, ser.NoEncryption())
    d = priv.private_bytes(*raw)
    x = priv.public_key().public_bytes(ser.Encoding.Raw, ser.PublicFormat.Raw)
    return {'kty': 'OKP', 'crv': crv, 'kid': kid, 'x': b64e(x), 'd': b64e(d)}


def make_own_keys():
    """The fuzz targets' own keys, one of every type (made once)."""
    own = {
        'fz-hs.jwk': lambda: {'kty': 'oct', 'kid': 'fz-hs', 'k': b64e(os.urandom(64))},
        'fz-rsa.jwk': lambda: rsa_jwk(rsa.generate_private_key(65537, 2048), 'fz-rsa'),
        'fz-p256.jwk': lambda: ec_jwk(ec.generate_private_key(ec.SECP256R1()), 'P-256', 'fz-p256'),
        'fz-p384.jwk': lambda: ec_jwk(ec.generate_private_key(ec.SECP384R1()), 'P-384', 'fz-p384'),
        'fz-p521.jwk': lambda: ec_jwk(ec.generate_private_key(ec.SECP521R1()), 'P-521', 'fz-p521'),
        'fz-ed25519.jwk': lambda: okp_jwk(ed25519.Ed25519PrivateKey.generate(), 'Ed25519', 'fz-ed25519'),
        'fz-ed448.jwk': lambda: okp_jwk(ed448.Ed448PrivateKey.generate(), 'Ed448', 'fz-ed448'),
    }
    os.makedirs(KEYS, exist_ok=True)
    for name, make in own.items():
        path = os.path.join(KEYS, name)
        if not os.path.exists(path):
            with open(path, 'w') as f:
                f.write(json.dumps(make(), separators=(',', ':')) + '\n')


# Keys copied from the test vectors: the RFC keys (private, so that the RFC
# tokens verify and can be re-signed) and the attack suite's private keys.
COPIED = {
    'rfc7515-a1.jwk': 'rfc/rfc7515-a1/key.jwk',
    'rfc7515-a2.jwk': 'rfc/rfc7515-a2/key.jwk',
    'rfc7515-a3.jwk': 'rfc/rfc7515-a3/key.jwk',
    'rfc7515-a4.jwk': 'rfc/rfc7515-a4/key.jwk',
    'rfc7520-rsa.jwk': 'rfc/rfc7520-4.1/key.jwk',
    'rfc7520-p521.jwk': 'rfc/rfc7520-4.3/key.jwk',
    'rfc7520-hs256.jwk': 'rfc/rfc7520-4.4/key.jwk',
    'rfc8037-ed25519.jwk': 'rfc/rfc8037-a4/key.jwk',
    'attacks-hs.jwk': 'attacks/keys/hs.jwk',
    'attacks-es256.jwk': 'attacks/keys/es256.jwk',
    'attacks-es384.jwk': 'attacks/keys/es384.jwk',
    'attacks-rsa.jwk': 'attacks/keys/rsa.jwk',
}


def copy_keys():
    for name, src in COPIED.items():
        dst = os.path.join(KEYS, name)
        if not os.path.exists(dst):
            shutil.copyfile(os.path.join(VECTORS, src), dst)


def load_keys():
    """name -> (jwk dict, signer object)"""
    out = {}
    for path in sorted(glob.glob(os.path.join(KEYS, '*.jwk'))):
        with open(path) as f:
            j = json.load(f)
        if j['kty'] == 'oct':
            obj = b64d(j['k'])
        elif j['kty'] == 'RSA':
            pub = rsa.RSAPublicNumbers(ival(j['e']), ival(j['n']))
            obj = rsa.RSAPrivateNumbers(ival(j['p']), ival(j['q']), ival(j['d']), ival(j['dp']), ival(j['dq']),
                                        ival(j['qi']), pub).private_key()
        elif j['kty'] == 'EC':
            obj = ec.derive_private_key(ival(j['d']), EC_CURVES[j['crv']][0])
        else:
            cls = ed25519.Ed25519PrivateKey if j['crv'] == 'Ed25519' else ed448.Ed448PrivateKey
            obj = cls.from_private_bytes(b64d(j['d']))
        out[os.path.basename(path)] = (j, obj)
    return out


HASH = {'256': hashes.SHA256(), '384': hashes.SHA384(), '512': hashes.SHA512()}


def algs_of(j):
    if 'alg' in j:
        return [j['alg']]
    if j['kty'] == 'oct':
        n = len(b64d(j['k']))
        return [a for a, need in (('HS256', 32), ('HS384', 48), ('HS512', 64)) if n >= need]
    if j['kty'] == 'RSA':
        return [p + s for p in ('RS', 'PS') for s in ('256', '384', '512')]
    if j['kty'] == 'EC':
        return [EC_CURVES[j['crv']][3]]
    return ['EdDSA']


def sign(j, obj, alg, si):
    if alg.startswith('HS'):
        m = hmac.HMAC(obj, HASH[alg[2:]])
        m.update(si)
        return m.finalize()
    if alg.startswith('RS'):
        return obj.sign(si, padding.PKCS1v15(), HASH[alg[2:]])
    if alg.startswith('PS'):
        h = HASH[alg[2:]]
        return obj.sign(si, padding.PSS(padding.MGF1(h), h.digest_size), h)
    if alg.startswith('ES'):
        _, size, h, _ = EC_CURVES[j['crv']]
        r, s = utils.decode_dss_signature(obj.sign(si, ec.ECDSA(h)))
        return r.to_bytes(size, 'big') + s.to_bytes(size, 'big')
    return obj.sign(si)


def token(header, payload, j, obj, alg):
    si = (b64e(header) + '.' + b64e(payload)).encode()
    return si.decode() + '.' + b64e(sign(j, obj, alg, si))


# ---- corpus files ---------------------------------------------------------------

def reset(target):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    for f in glob.glob(os.path.join(d, 'seed-*')):
        os.remove(f)
    return d


def put(target, data, label=''):
    if isinstance(data, str):
        data = data.encode()
    name = 'seed-%s%s' % (label + '-' if label else '', hashlib.sha1(data).hexdigest()[:12])
    with open(os.path.join(CORPUS, target, name), 'wb') as f:
        f.write(data)


def read(path, mode='r'):
    with open(path, mode) as f:
        return f.read()


def attack_tokens():
    out = []
    for line in read(os.path.join(VECTORS, 'attacks', 'attacks.txt')).splitlines():
        if not line or line.startswith('#'):
            continue
        f = line.split(' ')
        t = f[4].replace('\\s', ' ').replace('\\t', '\t').replace('\\n', '\n')
        out.append((f[0], t))
    return out


def rfc_tokens():
    out = []
    for d in sorted(glob.glob(os.path.join(VECTORS, 'rfc', '*'))):
        p = os.path.join(d, 'token')
        if os.path.exists(p):
            out.append((os.path.basename(d), read(p).strip()))
    return out


def wycheproof_tokens():
    wp = json.loads(read(os.path.join(VECTORS, 'wycheproof', 'json_web_signature_test.json')))
    out = []
    for g in wp['testGroups']:
        for t in g['tests']:
            if isinstance(t.get('jws'), str) and t['jws'] not in out:
                out.append(t['jws'])
    return out


def wycheproof_jwks(name):
    wp = json.loads(read(os.path.join(VECTORS, 'wycheproof', name)))
    out = []
    for g in wp['testGroups']:
        for field in ('public', 'private'):
            if field in g:
                s = json.dumps(g[field])
                if s not in out:
                    out.append(s)
    return out


def segments(tok):
    parts = tok.split('.')
    out = []
    for p in parts[:2]:
        try:
            out.append(b64d(p))
        except Exception:
            pass
    return out


NOW = 1300819370  # fuzz_verify's clock: the RFC 7515 A.1 claims are valid then

CLAIMS = [
    b'{}',
    b'{"sub":"alice"}',
    b'{"iss":"joe",\r\n "exp":1300819380,\r\n "http://example.com/is_root":true}',
    b'{"iss":"https://issuer.example","sub":"alice","aud":"api","exp":2000000000,"iat":1300000000,'
    b'"nbf":1300000000,"jti":"j-1","role":"admin"}',
    b'{"aud":["other","api"],"exp":2000000000.5,"sub":"\\u00e9l\\u00e8ve","jti":"x"}',
    b'{"nested":{"a":[1,2.5,-3e2,{"b":null}],"c":"\\ud83d\\ude00"},"t":true,"f":false}',
    b'{"exp":1300819369}',
    b'{"nbf":1300819371,"iat":1300819371}',
]

HEADERS = [
    lambda alg, kid: {'alg': alg},
    lambda alg, kid: {'alg': alg, 'kid': kid},
    lambda alg, kid: {'typ': 'JWT', 'alg': alg, 'kid': kid},
    lambda alg, kid: {'alg': alg, 'typ': 'at+jwt', 'cty': 'JWT'},
    lambda alg, kid: {'alg': alg, 'kid': kid, 'crit': ['exp'], 'exp': 1},
    lambda alg, kid: {'alg': alg, 'kid': kid + '\u00e9', 'x5t': 'abc'},
]


def gen_verify(keys):
    reset('fuzz_verify')
    n = 0
    for name, (j, obj) in sorted(keys.items()):
        kid = j.get('kid', name)
        for ai, alg in enumerate(algs_of(j)):
            for hi, hf in enumerate(HEADERS):
                # Every header shape for the first algorithm of a key, the
                # plain shapes for the others; the claims rotate.
                if ai and hi > 2:
                    continue
                h = json.dumps(hf(alg, kid), separators=(',', ':')).encode()
                p = CLAIMS[n % len(CLAIMS)]
                n += 1
                put('fuzz_verify', token(h, p, j, obj, alg), alg)
    # A JWS whose payload is not JSON (verified by the JWS-only verifier).
    j, obj = keys['fz-hs.jwk']
    put('fuzz_verify', token(b'{"alg":"HS256"}', b'Payload \xc3\xa9', j, obj, 'HS256'), 'jws')
    j, obj = keys['fz-ed448.jwk']
    put('fuzz_verify', token(b'{"alg":"EdDSA","kid":"fz-ed448"}', b'\x00\x01binary', j, obj, 'EdDSA'), 'jws')
    for name, t in rfc_tokens():
        put('fuzz_verify', t, name)
    for name, t in attack_tokens():
        put('fuzz_verify', t, 'attack')
    # Wycheproof's compact tokens (other keys: they exercise the parsing).
    for t in wycheproof_tokens()[::4]:
        put('fuzz_verify', t, 'wycheproof')
    # Raw mode (fuzz_verify.c): 0x00, a selector byte, header, 0x00, payload;
    # the target signs it itself.
    raw_headers = [b'{"alg":"HS256"}', b'{"alg":"RS256","kid":"fz-rsa"}', b'{"alg":"ES384"}',
                   b'{"alg":"EdDSA","crit":["b64"],"b64":false}', b'{"alg":"HS256","typ":"JWT","kid":"fz-hs"}',
                   b'{"alg":"PS512","jwk":{"kty":"oct","k":"AAAA"}}', b'{"alg":"none"}', b'{"alg":"HS512"}']
    for i, h in enumerate(raw_headers):
        for sel in (0, 1, 5, 0x81, 0x42):
            put('fuzz_verify', bytes([0, (sel + 7 * i) & 0xff]) + h + b'\x00' + CLAIMS[i % len(CLAIMS)], 'raw')


# Numbers of any size (RFC 8259 6) in claims, printed as written; exp, nbf,
# iat at and beyond what int64 seconds hold.
NUMBERS = [
    b'{"id":18446744073709551615,"x":1e400,"y":-1e-400,"z":-0,"f":5.01,"exp":1700000000.5}',
    b'{"exp":9223372036854775808,"nbf":-9223372036854775809,"iat":1e300}',
]


def gen_claims():
    reset('fuzz_claims')
    payloads = list(CLAIMS)
    payloads += [
        b'{"iss":"https://issuer.example","aud":"api","sub":"alice","jti":"1","role":"r","exp":1700000000}',
        b'{"iss":"https://issuer.example","aud":["api"],"sub":"alice","jti":"1","role":"r","exp":1700000001}',
        b'{"iss":"https://issuer.example/","aud":["apix"],"sub":"alic","jti":"1","role":"r","nbf":1700000100}',
        b'{"iss":"https://issuer.example","aud":"api","sub":"alice","iat":1700000100,"exp":1.7e9}',
        b'{"iss":5,"aud":[1],"sub":{},"jti":null,"exp":"1","nbf":[],"iat":true}',
        b'{"iss":"https://issuer.ex\\u0061mple","aud":["\\u0061pi"],"sub":"\\u0061lice"}',
        b'{"exp":-1e308,"nbf":1e308,"iat":-0.0}',
        b'{"exp":9223372036854775807,"nbf":-9223372036854775808}',
        b'{"a":{"b":{"c":{"d":{"e":{"f":{"g":{"h":{"i":{"j":{"k":{"l":{"m":{"n":{"o":1}}}}}}}}}}}}}}}',
        b'[1,2]',
        b'not json',
    ]
    for name, t in attack_tokens() + rfc_tokens():
        seg = segments(t)
        if len(seg) == 2 and seg[1] not in payloads:
            payloads.append(seg[1])
    payloads += NUMBERS
    for i, p in enumerate(payloads):
        opts = bytes([(0x3f * (i + 1)) & 0xff, (i * 37) & 0xff, i % 8])
        put('fuzz_claims', opts + p)
        put('fuzz_claims', bytes([0xff, 0, 1]) + p)
        put('fuzz_claims', bytes([0, 0, 0]) + p)
        put('fuzz_claims', bytes([0x2f, 3, 9]) + p)


def gen_jwk(keys):
    reset('fuzz_jwk')
    jwks = []
    for path in sorted(glob.glob(os.path.join(KEYS, '*.jwk')) + glob.glob(os.path.join(VECTORS, '*', '*.jwk'))
                       + glob.glob(os.path.join(VECTORS, '*', '*', '*.jwk'))
                       + glob.glob(os.path.join(ROOT, 'bench', 'keys', '*.jwk'))):
        text = read(path, 'rb')
        put('fuzz_jwk', text, 'jwk')
        jwks.append(json.loads(text))
    # Public halves, and key sets.
    for j in jwks:
        pub = {k: v for k, v in j.items() if k not in ('d', 'p', 'q', 'dp', 'dq', 'qi')}
        if j['kty'] != 'oct':
            put('fuzz_jwk', json.dumps(pub), 'pub')
    # Small sets (every key of a set is checked on each run: big sets are slow).
    for i in range(0, len(jwks), 3):
        put('fuzz_jwk', json.dumps({'keys': jwks[i:i + 3]}), 'jwks')
    put('fuzz_jwk', json.dumps({'keys': [jwks[0], {'kty': 'EC', 'crv': 'secp256k1', 'x': 'AA', 'y': 'AA'},
                                         dict(jwks[-1], use='enc')]}), 'jwks')
    put('fuzz_jwk', json.dumps({'keys': [dict(j, use='sig', key_ops=['verify']) for j in jwks[:4]]}), 'jwks')
    for s in wycheproof_jwks('json_web_key_test.json') + wycheproof_jwks('json_web_signature_test.json'):
        put('fuzz_jwk', s, 'wycheproof')
    for path in sorted(glob.glob(os.path.join(VECTORS, 'pem', '*.pem')))[:6]:
        put('fuzz_jwk', read(path, 'rb'), 'pem')


def gen_pem():
    reset('fuzz_pem')
    for path in sorted(glob.glob(os.path.join(VECTORS, 'pem', '*.pem')) + glob.glob(os.path.join(ROOT, 'bench', 'keys', '*.pem'))
                       + glob.glob(os.path.join(VECTORS, 'attacks', 'keys', '*.pem'))):
        put('fuzz_pem', read(path, 'rb'), os.path.basename(path).split('.')[0])


def gen_jscan():
    reset('fuzz_jscan')
    texts = set()
    for name, t in attack_tokens() + rfc_tokens():
        for s in segments(t):
            if len(s) < 4096:
                texts.add(s)
    for path in sorted(glob.glob(os.path.join(KEYS, '*.jwk'))):
        texts.add(read(path, 'rb'))
    texts.update(CLAIMS)
    texts.update(NUMBERS)
    texts.update([
        b'{"a":"\\ud800\\udc00","b":"\\u00e9\\/\\b\\f\\n\\r\\t\\"\\\\"}',
        b'{"a":"\\ud800"}', b'{"a":"\\udc00"}', b'{"a":"\\u0000"}', b'{"a":"\xed\xa0\x80"}',
        b'{"a":"\xf4\x90\x80\x80"}', b'{"a":"\xc0\xaf"}', b'{"a":"\x7f\x1f"}',
        b'{"a":1,"a":2}', b'{"a":1,"\\u0061":2}', b'{"o":{"x":1,"x":2}}', b'{"o":[{"x":1},{"x":2}]}',
        b'{"i":9223372036854775807,"j":-9223372036854775808}', b'{"i":9223372036854775808}',
        b'{"i":-9223372036854775809}', b'{"r":1e309}', b'{"r":-1e308,"s":1e-400,"t":0.5E+3}',
        b'{"n":-0,"m":01}', b'{"n":1.}', b'{"n":.5}', b'{"n":-}', b'{"n":1e}',
        b' \t\r\n{ "a" : [ 1 , 2 ] } \n', b'{"a":1}x', b'{"a":1}\x00', b'{"a":tru}', b'{"a":nulls}',
        b'{' * 16 + b'}' * 16, b'{"a":' * 15 + b'1' + b'}' * 15, b'{"a":' * 16 + b'1' + b'}' * 16,
        b'{"a":' + b'[' * 15 + b']' * 15 + b'}', b'{"a":' + b'[' * 16 + b']' * 16 + b'}',
        b'{"\\"":"[[[[[[[[[[[[[[[[[[[["}', b'{"a":"\\\\"}',
        b'[]', b'"s"', b'1', b'', b'{',
    ])
    for s in sorted(texts):
        put('fuzz_jscan', s)


def gen_base64url():
    reset('fuzz_base64url')
    for name, t in rfc_tokens() + attack_tokens()[:40]:
        for p in t.split('.'):
            if p:
                put('fuzz_base64url', p)
    for s in (b'', b'A', b'AA', b'AB', b'AAA', b'AAB', b'AAAA', b'-_-_', b'+/+/', b'AA==', b'QQ', b'QR',
              b'\xff\x00', b'YWJj', b'YWJjZA', b'YWJjZGU'):
        put('fuzz_base64url', s)


def main():
    make_own_keys()
    copy_keys()
    keys = load_keys()
    gen_verify(keys)
    gen_claims()
    gen_jwk(keys)
    gen_pem()
    gen_jscan()
    gen_base64url()
    for d in sorted(os.listdir(CORPUS)):
        files = os.listdir(os.path.join(CORPUS, d))
        size = sum(os.path.getsize(os.path.join(CORPUS, d, f)) for f in files)
        print('%-16s %4d files %7d bytes' % (d, len(files), size))


if __name__ == '__main__':
    main()
