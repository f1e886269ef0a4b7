#!/usr/bin/python3
"""Generate tests/vectors/attacks/attacks.txt (run once; the output is committed).

Usage: /usr/bin/python3 gen_attacks.py   (from this directory)

The keys in keys/ are made on the first run and reused afterwards, so running
the script again only re-signs the tokens (ECDSA is randomised, so the bytes of
ES* tokens change, their meaning does not). Each attack token is built so that
a verifier that broke the rule it targets would ACCEPT it: tokens whose point
is not the signature carry a valid signature by the verifier's own key, and
bad base64url is signed over the exact bytes of the token as sent.
"""
import base64, datetime, json, os

from cryptography import x509
from cryptography.x509.oid import NameOID
from cryptography.hazmat.primitives import hashes, hmac, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa, padding, utils

HERE = os.path.dirname(os.path.abspath(__file__))
KEYS = os.path.join(HERE, 'keys')


def b64e(b):
    return base64.urlsafe_b64encode(b).rstrip(b'=').decode()


def b64d(s):
    return base64.urlsafe_b64decode(s + '=' * (-len(s) % 4))


def ival(s):
    return int.from_bytes(b64d(s), 'big')


def ib(n, size):
    return b64e(n.to_bytes(size, 'big'))


# ---- keys -------------------------------------------------------------------

CURVES = {'P-256': (ec.SECP256R1(), 32), 'P-384': (ec.SECP384R1(), 48)}


def ec_jwk(priv, crv, kid, private):
    size = CURVES[crv][1]
    pn = priv.public_key().public_numbers()
    j = {'kty': 'EC', 'crv': crv, 'x': ib(pn.x, size), 'y': ib(pn.y, size)}
    if kid:
        j['kid'] = kid
    if private:
        j['d'] = ib(priv.private_numbers().private_value, size)
    return j


def rsa_jwk(priv, kid, private):
    pn = priv.public_key().public_numbers()
    j = {'kty': 'RSA', 'n': b64e(pn.n.to_bytes((pn.n.bit_length() + 7) // 8, 'big')), 'e': 'AQAB'}
    if kid:
        j['kid'] = kid
    if private:
        sn = priv.private_numbers()
        for name, v in (('d', sn.d), ('p', sn.p), ('q', sn.q), ('dp', sn.dmp1), ('dq', sn.dmq1), ('qi', sn.iqmp)):
            j[name] = b64e(v.to_bytes((v.bit_length() + 7) // 8, 'big'))
    return j


def write(name, text):
    with open(os.path.join(KEYS, name), 'w') as f:
        f.write(text)


def make_keys():
    os.makedirs(KEYS, exist_ok=True)
    write('hs.jwk', json.dumps({'kty': 'oct', 'kid': 'hs-1', 'k': b64e(os.urandom(32))}) + '\n')
    for crv, kid, base in (('P-256', 'es256-1', 'es256'), ('P-384', 'es384-1', 'es384'), ('P-256', None, 'attacker')):
        k = ec.generate_private_key(CURVES[crv][0])
        write(base + '.jwk', json.dumps(ec_jwk(k, crv, kid, True)) + '\n')
        write(base + '.pub.jwk', json.dumps(ec_jwk(k, crv, kid, False)) + '\n')
    k = rsa.generate_private_key(65537, 2048)
    write('rsa.jwk', json.dumps(rsa_jwk(k, 'rsa-1', True)) + '\n')
    write('rsa.pub.jwk', json.dumps(rsa_jwk(k, 'rsa-1', False)) + '\n')
    write('rsa.pub.pem', k.public_key().public_bytes(serialization.Encoding.PEM,
          serialization.PublicFormat.SubjectPublicKeyInfo).decode())


def load(name):
    with open(os.path.join(KEYS, name)) as f:
        return json.load(f)


def ec_priv(j):
    return ec.derive_private_key(ival(j['d']), CURVES[j['crv']][0])


def rsa_priv(j):
    pub = rsa.RSAPublicNumbers(ival(j['e']), ival(j['n']))
    return rsa.RSAPrivateNumbers(ival(j['p']), ival(j['q']), ival(j['d']), ival(j['dp']), ival(j['dq']),
                                 ival(j['qi']), pub).private_key()


if not os.path.exists(os.path.join(KEYS, 'hs.jwk')):
    make_keys()

HS = b64d(load('hs.jwk')['k'])
ES256 = ec_priv(load('es256.jwk'))
ES384 = ec_priv(load('es384.jwk'))
ATTACKER = ec_priv(load('attacker.jwk'))
RSA = rsa_priv(load('rsa.jwk'))
with open(os.path.join(KEYS, 'rsa.pub.pem'), 'rb') as f:
    RSA_PEM = f.read()
RSA_DER = RSA.public_key().public_bytes(serialization.Encoding.DER,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)
ES256_PEM = ES256.public_key().public_bytes(serialization.Encoding.PEM,
                                             serialization.PublicFormat.SubjectPublicKeyInfo)
N256 = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551

# ---- signing ----------------------------------------------------------------


def mac(key, si, h=hashes.SHA256()):
    m = hmac.HMAC(key, h)
    m.update(si)
    return m.finalize()


def es_raw(key, si, size):
    h = hashes.SHA256() if size == 32 else hashes.SHA384()
    r, s = utils.decode_dss_signature(key.sign(si, ec.ECDSA(h)))
    return r.to_bytes(size, 'big') + s.to_bytes(size, 'big')


def es_der(key, si):
    return key.sign(si, ec.ECDSA(hashes.SHA256()))


def rs256(si):
    return RSA.sign(si, padding.PKCS1v15(), hashes.SHA256())


def tok(header, payload, signer):
    """header and payload are exact bytes; signer maps the signing input to
    the signature bytes (or None for an empty signature)."""
    si = (b64e(header) + '.' + b64e(payload)).encode()
    sig = signer(si) if signer else b''
    return si.decode() + '.' + b64e(sig)


def signed_text(text, signer):
    """A token whose first two segments are given as text (possibly bad
    base64url), signed over exactly those bytes."""
    return text + '.' + b64e(signer(text.encode()))


def hs(si):
    return mac(HS, si)


def es(si):
    return es_raw(ES256, si, 32)


def attacker(si):
    return es_raw(ATTACKER, si, 32)


P = b'{"sub":"attacker","admin":true}'
ROWS = []


def row(name, keys, policy, expect, token, ref):
    assert ' ' not in token and '\n' not in token and token, name
    ROWS.append('%s %s %s %s %s %s' % (name, keys, policy, expect, token, ref))


def section(text):
    ROWS.append('')
    ROWS.append('# ' + text)


# ---- the cases --------------------------------------------------------------

section('Controls: the harness accepts well-formed tokens signed by the right key.')
row('control-hs256', 'hs.jwk', '-', 'ok', tok(b'{"alg":"HS256"}', P, hs), 'control')
row('control-es256', 'es256.pub.jwk', '-', 'ok', tok(b'{"alg":"ES256","kid":"es256-1"}', P, es), 'control')
row('control-rs256', 'rsa.pub.pem', '-', 'ok', tok(b'{"alg":"RS256"}', P, rs256), 'control')
row('control-max-size', 'hs.jwk', 'max=64', 'too-large', tok(b'{"alg":"HS256"}', P, hs),
    'DESIGN: size bounded before parsing')

section('alg "none" in any spelling is never accepted, even with a MAC key (RFC 8725 3.1, RFC 7518 3.6).')
for spelling in ('none', 'None', 'NONE', 'nOnE'):
    h = ('{"alg":"%s"}' % spelling).encode()
    row('alg-' + spelling, 'hs.jwk', '-', 'alg-not-allowed', tok(h, P, None).rstrip('.') + '.',
        'RFC 8725 2.1, 3.1; RFC 7518 3.6')
row('alg-none-with-mac', 'hs.jwk', '-', 'alg-not-allowed', tok(b'{"alg":"none"}', P, hs), 'RFC 8725 3.1')
row('alg-none-es-key', 'es256.pub.jwk', '-', 'alg-not-allowed', tok(b'{"alg":"none"}', P, None) + '',
    'RFC 8725 3.1')
row('alg-missing', 'hs.jwk', '-', 'alg-not-allowed', tok(b'{"typ":"JWT"}', P, hs), 'RFC 7515 4.1.1')
row('alg-number', 'hs.jwk', '-', 'alg-not-allowed', tok(b'{"alg":256}', P, hs), 'RFC 7515 4.1.1')
row('alg-null', 'hs.jwk', '-', 'alg-not-allowed', tok(b'{"alg":null}', P, hs), 'RFC 7515 4.1.1')
row('alg-lowercase', 'hs.jwk', '-', 'alg-not-allowed', tok(b'{"alg":"hs256"}', P, hs),
    'RFC 7515 4.1.1 (case-sensitive)')
row('alg-unknown', 'hs.jwk', '-', 'alg-not-allowed', tok(b'{"alg":"HS1024"}', P, hs), 'RFC 7518 3.1')
row('alg-not-in-policy', 'hs.jwk,es256.pub.jwk', 'algs=ES256', 'alg-not-allowed', tok(b'{"alg":"HS256"}', P, hs),
    'RFC 8725 3.1')

section('Key confusion: an RSA/EC public key is never used as an HMAC secret (RFC 8725 2.1, 3.1).')
for name, secret in (('pem', RSA_PEM), ('pem-no-newline', RSA_PEM.rstrip(b'\n')), ('der', RSA_DER)):
    t = tok(b'{"alg":"HS256"}', P, lambda si, s=secret: mac(s, si))
    row('confusion-rsa-' + name + '-vs-jwk', 'rsa.pub.jwk', '-', 'alg-not-allowed|no-key', t,
        'CVE-2016-10555; CVE-2015-9235')
    row('confusion-rsa-' + name + '-vs-pem', 'rsa.pub.pem', '-', 'alg-not-allowed|no-key', t,
        'CVE-2016-10555; CVE-2015-9235')
    row('confusion-rsa-' + name + '-hs-allowed', 'rsa.pub.pem', 'algs=HS256+RS256', 'alg-not-allowed|no-key', t,
        'CVE-2016-10555 (caller allows HS256 by mistake)')
t = tok(b'{"alg":"HS256"}', P, lambda si: mac(ES256_PEM, si))
row('confusion-ec-pem', 'es256.pub.jwk', '-', 'alg-not-allowed|no-key', t, 'CVE-2016-5431')
row('confusion-ec-pem-hs-allowed', 'es256.pub.jwk', 'algs=HS256+ES256', 'alg-not-allowed|no-key', t,
    'CVE-2016-5431')

section('ECDSA: raw R||S of exact length, r and s in [1, n-1] (RFC 7518 3.4).')
row('psychic-es256', 'es256.pub.jwk', '-', 'bad-signature',
    tok(b'{"alg":"ES256"}', P, lambda si: b'\0' * 64), 'CVE-2022-21449')
row('psychic-es384', 'es384.pub.jwk', '-', 'bad-signature',
    tok(b'{"alg":"ES384"}', P, lambda si: b'\0' * 96), 'CVE-2022-21449')
row('psychic-es256-kid', 'es256.pub.jwk', '-', 'bad-signature',
    tok(b'{"alg":"ES256","kid":"es256-1"}', P, lambda si: b'\0' * 64), 'CVE-2022-21449')
row('ecdsa-r-is-n', 'es256.pub.jwk', '-', 'bad-signature',
    tok(b'{"alg":"ES256"}', P, lambda si: N256.to_bytes(32, 'big') + es(si)[32:]), 'RFC 7518 3.4; CVE-2022-21449')
row('ecdsa-s-is-n', 'es256.pub.jwk', '-', 'bad-signature',
    tok(b'{"alg":"ES256"}', P, lambda si: es(si)[:32] + N256.to_bytes(32, 'big')), 'RFC 7518 3.4; CVE-2022-21449')
row('ecdsa-s-zero', 'es256.pub.jwk', '-', 'bad-signature',
    tok(b'{"alg":"ES256"}', P, lambda si: es(si)[:32] + b'\0' * 32), 'RFC 7518 3.4; CVE-2022-21449')
row('ecdsa-der', 'es256.pub.jwk', '-', 'bad-signature',
    tok(b'{"alg":"ES256"}', P, lambda si: es_der(ES256, si)), 'RFC 7518 3.4 (DER is not the JWS encoding)')
row('ecdsa-truncated', 'es256.pub.jwk', '-', 'bad-signature',
    tok(b'{"alg":"ES256"}', P, lambda si: es(si)[:63]), 'RFC 7518 3.4')
row('ecdsa-trailing-zero', 'es256.pub.jwk', '-', 'bad-signature',
    tok(b'{"alg":"ES256"}', P, lambda si: es(si) + b'\0'), 'RFC 7518 3.4')

section('Header parameters that name keys are never trusted or fetched (RFC 8725 3.10, RFC 7515 4.1.2-4.1.6).')
apub = load('attacker.pub.jwk')
jwk_member = json.dumps(apub, separators=(',', ':'))
row('embedded-jwk', 'es256.pub.jwk', '-', 'bad-signature',
    tok(('{"alg":"ES256","jwk":%s}' % jwk_member).encode(), P, attacker), 'CVE-2018-0114')
row('embedded-jwk-kid', 'es256.pub.jwk', '-', 'bad-signature',
    tok(('{"alg":"ES256","kid":"es256-1","jwk":%s}' % jwk_member).encode(), P, attacker), 'CVE-2018-0114')
row('jku', 'es256.pub.jwk', '-', 'bad-signature',
    tok(b'{"alg":"ES256","jku":"http://127.0.0.1:9/jwks.json"}', P, attacker), 'RFC 8725 3.10 (SSRF)')
row('x5u', 'es256.pub.jwk', '-', 'bad-signature',
    tok(b'{"alg":"ES256","x5u":"http://127.0.0.1:9/cert.pem"}', P, attacker), 'RFC 8725 3.10 (SSRF)')
name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'attacker')])
now = datetime.datetime(2024, 1, 1)
cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(ATTACKER.public_key())
        .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=3650))
        .sign(ATTACKER, hashes.SHA256()))
x5c = base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()
row('x5c', 'es256.pub.jwk', '-', 'bad-signature',
    tok(('{"alg":"ES256","x5c":["%s"]}' % x5c).encode(), P, attacker), 'RFC 8725 3.10; RFC 7515 4.1.6')
row('kid-path-traversal', 'hs.jwk', '-', 'no-key',
    tok(b'{"alg":"HS256","kid":"../../../../../../dev/null"}', P, lambda si: mac(b'', si)),
    'RFC 8725 3.10 (kid as a file path)')
row('kid-sql', 'hs.jwk', '-', 'no-key',
    tok(b'{"alg":"HS256","kid":"x\' UNION SELECT \'secret"}', P, lambda si: mac(b'secret', si)),
    'RFC 8725 3.10 (kid as SQL)')

section('crit is honoured: anything not understood, and any malformed crit, is rejected (RFC 7515 4.1.11).')
for nm, h in (('crit-unknown', b'{"alg":"ES256","crit":["urn:example:x"],"urn:example:x":true}'),
              ('crit-not-array', b'{"alg":"ES256","crit":"urn:example:x","urn:example:x":true}'),
              ('crit-empty', b'{"alg":"ES256","crit":[]}'),
              ('crit-registered', b'{"alg":"ES256","crit":["alg"]}'),
              ('crit-registered-kid', b'{"alg":"ES256","kid":"es256-1","crit":["kid"]}'),
              ('crit-absent', b'{"alg":"ES256","crit":["b64"]}'),
              ('crit-absent-unknown', b'{"alg":"ES256","crit":["urn:example:x"]}'),
              ('crit-non-string', b'{"alg":"ES256","crit":[1]}'),
              ('crit-null', b'{"alg":"ES256","crit":null}'),
              ('crit-object', b'{"alg":"ES256","crit":{"exp":1}}')):
    row(nm, 'es256.pub.jwk', '-', 'crit-unsupported', tok(h, P, es), 'RFC 7515 4.1.11')

section('Duplicate member names are refused in header and payload (RFC 8725 3.7 / RFC 7515 5.2 step 4).')
row('dup-header-same', 'es256.pub.jwk', '-', 'malformed', tok(b'{"alg":"ES256","alg":"ES256"}', P, es),
    'RFC 7515 5.2')
row('dup-header-none-last', 'es256.pub.jwk', '-', 'malformed', tok(b'{"alg":"ES256","alg":"none"}', P, es),
    'RFC 7515 5.2')
row('dup-header-none-first', 'es256.pub.jwk', '-', 'malformed', tok(b'{"alg":"none","alg":"ES256"}', P, es),
    'RFC 7515 5.2')
row('dup-header-kid', 'es256.pub.jwk', '-', 'malformed',
    tok(b'{"alg":"ES256","kid":"es256-1","kid":"other"}', P, es), 'RFC 7515 5.2')
row('dup-payload', 'es256.pub.jwk', '-', 'malformed', tok(b'{"alg":"ES256"}', b'{"sub":"user","sub":"admin"}', es),
    'RFC 7519 4')
row('dup-payload-escaped', 'es256.pub.jwk', '-', 'malformed',
    tok(b'{"alg":"ES256"}', b'{"sub":"user","s\\u0075b":"admin"}', es), 'RFC 7519 4')
row('dup-payload-nested', 'es256.pub.jwk', '-', 'malformed',
    tok(b'{"alg":"ES256"}', b'{"sub":"user","x":{"a":1,"a":2}}', es), 'RFC 7519 4')
row('dup-payload-exp', 'es256.pub.jwk', '-', 'malformed',
    tok(b'{"alg":"ES256"}', b'{"exp":1000,"exp":99999999999}', es), 'RFC 7519 4')

section('Depth is bounded (DESIGN: size and depth bounded before parsing allocates).')
deep = b'{"sub":"x","a":' + b'[' * 1000 + b']' * 1000 + b'}'
row('deep-payload-1000', 'es256.pub.jwk', '-', 'malformed', tok(b'{"alg":"ES256"}', deep, es), 'DESIGN; CWE-674')
deep_obj = b'{"sub":"x","a":' + b'{"a":' * 1000 + b'1' + b'}' * 1000 + b'}'
row('deep-payload-objects-1000', 'es256.pub.jwk', '-', 'malformed', tok(b'{"alg":"ES256"}', deep_obj, es),
    'DESIGN; CWE-674')
deep_h = b'{"alg":"ES256","x":' + b'[' * 1000 + b']' * 1000 + b'}'
row('deep-header-1000', 'es256.pub.jwk', '-', 'malformed', tok(deep_h, P, es), 'DESIGN; CWE-674')

section('base64url is strict: no padding, no +/, canonical trailing bits, no whitespace (RFC 7515 2, RFC 4648 3.5).')
# A header whose encoding needs padding ('=' or '=='), signed over the padded text.
h = b'{"alg":"ES256","v":12}'
hb = b64e(h)
assert len(hb) % 4 in (2, 3)
pb = b64e(P)
pad = '=' * (-len(hb) % 4)
row('b64-pad-header', 'es256.pub.jwk', '-', 'malformed', signed_text(hb + pad + '.' + pb, es), 'RFC 7515 2')
p2 = b'{"sub":"attacker","admin":1}'
p2b = b64e(p2)
assert len(p2b) % 4 in (2, 3), len(p2b)
row('b64-pad-payload', 'es256.pub.jwk', '-', 'malformed',
    signed_text(hb + '.' + p2b + '=' * (-len(p2b) % 4), es), 'RFC 7515 2')
good = tok(h, P, es)
assert len(good.split('.')[2]) % 4 == 2
row('b64-pad-signature', 'es256.pub.jwk', '-', 'malformed', good + '==', 'RFC 7515 2')
# '-' and '_' replaced by '+' and '/': a payload whose encoding has both.
p3 = None
for n in range(100000):
    cand = ('{"sub":"attacker","n":%d,"x":"\u00fe\u00ff?>"}' % n).encode()
    e = b64e(cand)
    if '-' in e and '_' in e:
        p3 = cand
        break
assert p3
p3b = b64e(p3).replace('-', '+').replace('_', '/')
row('b64-plus-slash-payload', 'es256.pub.jwk', '-', 'malformed', signed_text(hb + '.' + p3b, es), 'RFC 7515 2')
for n in range(1000):
    t = tok(h, P, es)
    s = t.split('.')[2]
    if '-' in s or '_' in s:
        break
row('b64-plus-slash-signature', 'es256.pub.jwk', '-', 'malformed',
    t.rsplit('.', 1)[0] + '.' + s.replace('-', '+').replace('_', '/'), 'RFC 7515 2')
# Non-canonical trailing bits: the last character carries unused low bits.
ALPH = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'


def noncanon(seg):
    extra = {2: 4, 3: 2}[len(seg) % 4]      # number of unused low bits in the last char
    v = ALPH.index(seg[-1])
    assert v % (1 << extra) == 0
    return seg[:-1] + ALPH[v | 1]


s = good.split('.')[2]
row('b64-noncanonical-signature', 'es256.pub.jwk', '-', 'malformed', good.rsplit('.', 1)[0] + '.' + noncanon(s),
    'RFC 4648 3.5')
row('b64-noncanonical-payload', 'es256.pub.jwk', '-', 'malformed', signed_text(hb + '.' + noncanon(p2b), es),
    'RFC 4648 3.5')
row('b64-noncanonical-header', 'es256.pub.jwk', '-', 'malformed', signed_text(noncanon(hb) + '.' + pb, es),
    'RFC 4648 3.5')
# Length % 4 == 1 can never be produced by base64url.
pb1 = pb if len(pb) % 4 == 0 else pb + 'A' * ((1 - len(pb)) % 4)
assert len(pb1) % 4 == 1
row('b64-length-mod4-1', 'es256.pub.jwk', '-', 'malformed', signed_text(hb + '.' + pb1, es), 'RFC 4648 5')
row('b64-invalid-char', 'es256.pub.jwk', '-', 'malformed', signed_text(hb[:5] + '*' + hb[5:] + '.' + pb, es),
    'RFC 4648 5')
row('b64-invalid-char-sig', 'es256.pub.jwk', '-', 'malformed', good[:-3] + '?' + good[-3:], 'RFC 4648 5')
# Whitespace cannot be written in a whitespace-separated line: %20-style
# escapes are expanded by the test (see README): \s is a space, \t a tab, \n a newline.
row('b64-space-header', 'es256.pub.jwk', '-', 'malformed',
    signed_text(hb[:4] + ' ' + hb[4:] + '.' + pb, es).replace(' ', '\\s'), 'RFC 7515 7.1')
row('b64-newline-payload', 'es256.pub.jwk', '-', 'malformed',
    signed_text(hb + '.' + pb[:8] + '\n' + pb[8:], es).replace('\n', '\\n'), 'RFC 7515 7.1')
row('b64-tab-signature', 'es256.pub.jwk', '-', 'malformed', (good[:-6] + '\t' + good[-6:]).replace('\t', '\\t'),
    'RFC 7515 7.1')

section('Exactly three segments (RFC 7515 7.1; a JWE has five, RFC 7516 7.1).')
parts = good.split('.')
row('segments-2', 'es256.pub.jwk', '-', 'malformed', parts[0] + '.' + parts[1], 'RFC 7515 7.1')
row('empty-signature', 'es256.pub.jwk', '-', 'bad-signature', parts[0] + '.' + parts[1] + '.', 'RFC 7518 3.4')
row('empty-signature-hs', 'hs.jwk', '-', 'bad-signature', tok(b'{"alg":"HS256"}', P, None), 'RFC 7518 3.2')
row('segments-4', 'es256.pub.jwk', '-', 'malformed', good + '.' + parts[2], 'RFC 7515 7.1')
row('segments-4-empty', 'es256.pub.jwk', '-', 'malformed', good + '.', 'RFC 7515 7.1')
row('segments-5', 'es256.pub.jwk', '-', 'malformed', good + '.AAAA.AAAA', 'RFC 7516 7.1')
row('segments-1', 'es256.pub.jwk', '-', 'malformed', parts[0], 'RFC 7515 7.1')
row('segments-empty-3', 'es256.pub.jwk', '-', 'malformed', '..', 'RFC 7515 7.1')
row('segments-dot', 'es256.pub.jwk', '-', 'malformed', '.', 'RFC 7515 7.1')
row('empty-header', 'es256.pub.jwk', '-', 'malformed', signed_text('.' + pb, es), 'RFC 7515 7.1')

section('Header and claims have strict JSON types (RFC 7519 4.1, RFC 7515 4).')
for nm, payload in (('exp-string', b'{"sub":"x","exp":"99999999999"}'),
                    ('exp-bool', b'{"sub":"x","exp":true}'),
                    ('exp-null', b'{"sub":"x","exp":null}'),
                    ('exp-array', b'{"sub":"x","exp":[99999999999]}'),
                    ('nbf-string', b'{"sub":"x","nbf":"0"}'),
                    ('iat-string', b'{"sub":"x","iat":"0"}'),
                    ('iss-number', b'{"sub":"x","iss":123}'),
                    ('sub-object', b'{"sub":{"id":"x"}}'),
                    ('aud-number', b'{"sub":"x","aud":5}'),
                    ('aud-array-number', b'{"sub":"x","aud":["a",5]}'),
                    ('jti-number', b'{"sub":"x","jti":5}')):
    row(nm, 'es256.pub.jwk', '-', 'malformed', tok(b'{"alg":"ES256"}', payload, es), 'RFC 7519 4.1')
for nm, header in (('header-array', b'["alg","ES256"]'),
                   ('header-string', b'"ES256"'),
                   ('header-number', b'256'),
                   ('header-null', b'null'),
                   ('header-trailing-garbage', b'{"alg":"ES256"}x'),
                   ('header-two-objects', b'{"alg":"ES256"}{}'),
                   ('header-not-json', b'alg=ES256'),
                   ('header-truncated', b'{"alg":"ES256"'),
                   ('header-kid-number', b'{"alg":"ES256","kid":7}')):
    row(nm, 'es256.pub.jwk', '-', 'malformed', tok(header, P, es), 'RFC 7515 4, 5.2')
for nm, payload in (('payload-array', b'[{"sub":"x"}]'),
                    ('payload-string', b'"sub"'),
                    ('payload-number', b'1'),
                    ('payload-empty', b''),
                    ('payload-not-json', b'sub=x'),
                    ('payload-trailing-garbage', b'{"sub":"x"}}')):
    row(nm, 'es256.pub.jwk', '-', 'malformed', tok(b'{"alg":"ES256"}', payload, es), 'RFC 7519 7.2 step 10')

section('UTF-8 must be valid, and NUL is a character, not a terminator (RFC 8725 3.7, RFC 8259 8.1).')
for nm, payload in (('utf8-invalid-byte', b'{"sub":"\xff"}'),
                    ('utf8-overlong', b'{"sub":"\xc0\xaf"}'),
                    ('utf8-surrogate', b'{"sub":"\xed\xa0\x80"}'),
                    ('utf8-truncated', b'{"sub":"\xe2\x82"}'),
                    ('utf8-in-member-name', b'{"s\xffb":"x"}'),
                    ('raw-nul-in-string', b'{"sub":"a\x00b"}'),
                    ('raw-control-in-string', b'{"sub":"a\x01b"}')):
    row(nm, 'es256.pub.jwk', '-', 'malformed', tok(b'{"alg":"ES256"}', payload, es), 'RFC 8725 3.7; RFC 8259 8.1')
row('utf8-invalid-header', 'es256.pub.jwk', '-', 'malformed', tok(b'{"alg":"ES256","kid":"\xff"}', P, es),
    'RFC 8725 3.7')
row('nul-iss-vs-prefix', 'es256.pub.jwk', 'iss=a', 'bad-issuer|malformed',
    tok(b'{"alg":"ES256"}', b'{"iss":"a\\u0000b"}', es), 'RFC 7519 4.1.1 (no truncation at NUL)')
row('nul-iss-control', 'es256.pub.jwk', 'iss=a', 'ok', tok(b'{"alg":"ES256"}', b'{"iss":"a"}', es), 'control')
row('iss-prefix', 'es256.pub.jwk', 'iss=a', 'bad-issuer', tok(b'{"alg":"ES256"}', b'{"iss":"ab"}', es),
    'RFC 7519 4.1.1 (exact match)')

section('A signature failure always wins over a claim failure (DESIGN; golang-jwt v5).')


def flip(t):
    h_, p_, s_ = t.split('.')
    sig = bytearray(b64d(s_))
    sig[len(sig) // 2] ^= 0x01
    return h_ + '.' + p_ + '.' + b64e(bytes(sig))


row('bad-sig-and-expired', 'es256.pub.jwk', '-', 'bad-signature',
    flip(tok(b'{"alg":"ES256"}', b'{"sub":"x","exp":1000}', es)), 'DESIGN')
row('bad-sig-and-expired-hs', 'hs.jwk', '-', 'bad-signature',
    flip(tok(b'{"alg":"HS256"}', b'{"sub":"x","exp":1000}', hs)), 'DESIGN')
row('bad-sig-and-not-yet-valid', 'es256.pub.jwk', '-', 'bad-signature',
    flip(tok(b'{"alg":"ES256"}', b'{"sub":"x","nbf":99999999999}', es)), 'DESIGN')
row('bad-sig-and-bad-issuer', 'es256.pub.jwk', 'iss=good', 'bad-signature',
    flip(tok(b'{"alg":"ES256"}', b'{"iss":"evil"}', es)), 'DESIGN')
row('expired-control', 'es256.pub.jwk', '-', 'expired', tok(b'{"alg":"ES256"}', b'{"sub":"x","exp":1000}', es),
    'control')
row('bad-sig-hs-other-key', 'hs.jwk', '-', 'bad-signature',
    tok(b'{"alg":"HS256"}', P, lambda si: mac(os.urandom(32), si)), 'RFC 7515 5.2')
row('bad-sig-rs-modified-payload', 'rsa.pub.jwk', '-', 'bad-signature',
    tok(b'{"alg":"RS256"}', P, lambda si: rs256(si.replace(b'.', b'.x', 1)[:-1])), 'RFC 7515 5.2')

section('Key selection: kid must name a key, and the key must fit the alg (RFC 7515 4.1.4, RFC 8725 3.1).')
row('kid-unknown', 'es256.pub.jwk', '-', 'no-key', tok(b'{"alg":"ES256","kid":"nope"}', P, es), 'RFC 7515 4.1.4')
row('kid-prefix', 'es256.pub.jwk', '-', 'no-key', tok(b'{"alg":"ES256","kid":"es256"}', P, es),
    'RFC 7515 4.1.4 (exact match)')
row('kid-names-other-type', 'es256.pub.jwk,hs.jwk', '-', 'no-key', tok(b'{"alg":"HS256","kid":"es256-1"}', P, hs),
    'RFC 8725 3.1')
row('es256-vs-es384-key', 'es384.pub.jwk', 'algs=ES256+ES384', 'no-key', tok(b'{"alg":"ES256"}', P, es),
    'RFC 7518 3.4 (curve bound to alg)')
row('es256-vs-es384-key-default-algs', 'es384.pub.jwk', '-', 'alg-not-allowed', tok(b'{"alg":"ES256"}', P, es),
    'RFC 7518 3.4')
row('es384-token-p256-key', 'es256.pub.jwk', 'algs=ES256+ES384', 'no-key',
    tok(b'{"alg":"ES384"}', P, lambda si: es_raw(ES384, si, 48)), 'RFC 7518 3.4')
row('rs256-token-ec-key', 'es256.pub.jwk', 'algs=ES256+RS256', 'no-key', tok(b'{"alg":"RS256"}', P, rs256),
    'RFC 8725 3.1')

with open(os.path.join(HERE, 'attacks.txt'), 'w') as f:
    f.write('# Attack tokens for tests/unit/test_security.c, generated by gen_attacks.py.\n')
    f.write('# Format (tests/vectors/README.md): NAME KEYS POLICY EXPECT TOKEN REFERENCE...\n')
    f.write('\n'.join(ROWS).lstrip('\n') + '\n')
print(len([r for r in ROWS if r and not r.startswith('#')]), 'cases')
