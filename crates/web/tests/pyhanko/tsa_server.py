"""An RFC 3161 time-stamping authority for certdesk's tests, on pyHanko's own timestamping code.

    tsa_server.py DIR

makes an RSA root and, under it, an RSA TSA certificate (extendedKeyUsage timeStamping,
critical) with the Python `cryptography` package, writes the root to DIR/tsa-root.pem, and
serves on 127.0.0.1 at a random port with aiohttp: a POST of an `application/timestamp-query`
body is answered by pyHanko's `DummyTimeStamper` (RSA only) as `application/timestamp-reply`.
At the path /wrong-nonce it answers a token for another nonce, as a TSA that mixed up its
requests would. Prints one JSON line, {"url": …, "root": …}, once it listens; exits when its
standard input closes (the test that started it is gone) or it is killed. Exits 3 when pyHanko
or aiohttp is missing.
"""

import asyncio
import datetime
import json
import os
import socket
import sys

try:
    from aiohttp import web
    from asn1crypto import keys, tsp, x509 as asn1_x509
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
except ImportError as missing:
    print(json.dumps({"error": f"missing: {missing}"}), flush=True)
    sys.exit(3)


def name(common_name):
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "GR"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "certdesk tests"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def certificate(subject, subject_key, issuer, issuer_key, ca, extensions=()):
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(subject_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(subject_key.public_key()), critical=False
        )
    )
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    return builder.sign(issuer_key, hashes.SHA256())


def make_tsa():
    root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    root_name = name("certdesk test TSA root")
    root = certificate(
        root_name,
        root_key,
        root_name,
        root_key,
        ca=True,
        extensions=[
            (
                x509.KeyUsage(
                    digital_signature=False,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                True,
            )
        ],
    )
    tsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    tsa = certificate(
        name("certdesk test TSA"),
        tsa_key,
        root_name,
        root_key,
        ca=False,
        extensions=[
            (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), True),
            (
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                True,
            ),
        ],
    )
    stamper = DummyTimeStamper(
        tsa_cert=asn1_x509.Certificate.load(tsa.public_bytes(serialization.Encoding.DER)),
        tsa_key=keys.PrivateKeyInfo.load(
            tsa_key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        ),
    )
    return root, stamper


def handler(stamper, wrong_nonce):
    async def answer(request):
        if request.content_type != "application/timestamp-query":
            return web.Response(status=415, text="application/timestamp-query only")
        query = tsp.TimeStampReq.load(await request.read())
        if wrong_nonce:
            query["nonce"] = (query["nonce"].native or 0) + 1
        reply = await stamper.async_request_tsa_response(query)
        return web.Response(body=reply.dump(), content_type="application/timestamp-reply")

    return answer


async def serve(directory):
    root, stamper = make_tsa()
    root_path = os.path.join(directory, "tsa-root.pem")
    with open(root_path, "wb") as f:
        f.write(root.public_bytes(serialization.Encoding.PEM))
    app = web.Application()
    app.router.add_post("/", handler(stamper, wrong_nonce=False))
    app.router.add_post("/wrong-nonce", handler(stamper, wrong_nonce=True))
    runner = web.AppRunner(app)
    await runner.setup()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    await web.SockSite(runner, sock).start()
    port = sock.getsockname()[1]
    print(json.dumps({"url": f"http://127.0.0.1:{port}/", "root": root_path}), flush=True)
    # Until the test that started this server closes its end of standard input.
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[1]))
