"""pyHanko against certdesk's CSC API (issue 11), as an outside signing client.

    csc_sign.py sign --service-url URL --username U --password P --otp CODE --root ROOT --pdf OUT
        makes a small PDF, signs it with pyHanko's CSCSigner through URL/csc/v1 (HTTP Basic
        login, credentials/list, credentials/info, then credentials/authorize with the one-time
        code CODE for the hash pyHanko is about to sign, and signatures/signHash), writes it to
        OUT and validates it;
    csc_sign.py validate --root ROOT --pdf FILE
        validates the signature of FILE again.

Validation trusts only ROOT (DER or PEM) and checks revocation online at the addresses the
certificates name, failing hard when it cannot. Prints one JSON object; exits 0 when the run
got that far (the caller judges the result), 1 when it failed, 3 when pyHanko is missing.
"""

import argparse
import asyncio
import json
import sys
import traceback
from io import BytesIO

try:
    import aiohttp
    from pyhanko.keys import load_cert_from_pemder
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign import signers
    from pyhanko.sign.signers.csc_signer import (
        CSCAuthorizationManager,
        CSCServiceSessionInfo,
        CSCSigner,
        fetch_certs_in_csc_credential,
    )
    from pyhanko.sign.validation import async_validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext
except ImportError as missing:
    print(
        json.dumps(
            {
                "error": f"pyHanko is not installed ({missing}): run scripts/test, which "
                "installs it into target/pyhanko-venv, or set CERTDESK_PYHANKO_PYTHON to a "
                "Python that has pyhanko and pyhanko-certvalidator"
            }
        )
    )
    sys.exit(3)


def small_pdf(text: str) -> bytes:
    """A one-page PDF 1.7 with a line of text, its cross-reference table written by hand."""
    content = f"BT /F1 18 Tf 72 770 Td ({text}) Tj ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


class OtpAuthorization(CSCAuthorizationManager):
    """Asks credentials/authorize for a SAD bound to the hashes about to be signed, with the
    one-time code of the holder's authenticator app."""

    def __init__(self, session, session_info, credential_info, otp):
        super().__init__(session_info, credential_info)
        self.session = session
        self.otp = otp
        self.requests = []

    async def authorize_signature(self, hash_b64s):
        body = self.format_csc_auth_request(otp=self.otp, hash_b64s=hash_b64s)
        self.requests.append({k: v for k, v in body.items() if k != "OTP"})
        url = self.csc_session_info.endpoint_url("credentials/authorize")
        async with self.session.post(
            url, headers=self.auth_headers, json=body, raise_for_status=True
        ) as response:
            return self.parse_csc_auth_response(await response.json())


async def validate(pdf: bytes, root) -> dict:
    reader = PdfFileReader(BytesIO(pdf))
    signatures = reader.embedded_signatures
    context = ValidationContext(
        trust_roots=[root], allow_fetching=True, revocation_mode="hard-fail"
    )
    status = await async_validate_pdf_signature(signatures[0], context)
    return {
        "signatures": len(signatures),
        "intact": status.intact,
        "valid": status.valid,
        "trusted": status.trusted,
        "revoked": status.revoked,
        "bottom_line": status.bottom_line,
        "summary": status.summary(),
        "trust_problem": None
        if status.trust_problem_indic is None
        else str(status.trust_problem_indic),
        "signer": status.signing_cert.subject.human_friendly,
        "mechanism": status.pkcs7_signature_mechanism,
        "md_algorithm": status.md_algorithm,
    }


async def sign(args, root) -> dict:
    base = args.service_url.rstrip("/")
    async with aiohttp.ClientSession() as session:
        login = aiohttp.BasicAuth(args.username, args.password, encoding="utf-8")
        async with session.post(
            f"{base}/csc/v1/auth/login", auth=login, raise_for_status=True
        ) as response:
            token = (await response.json())["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        async with session.post(
            f"{base}/csc/v1/credentials/list", headers=headers, json={}, raise_for_status=True
        ) as response:
            credential_id = (await response.json())["credentialIDs"][0]
        session_info = CSCServiceSessionInfo(base, credential_id, oauth_token=token)
        credential = await fetch_certs_in_csc_credential(session, session_info)
        authorization = OtpAuthorization(session, session_info, credential, args.otp)
        signer = CSCSigner(session, authorization)
        writer = IncrementalPdfFileWriter(BytesIO(small_pdf("certdesk CSC")))
        metadata = signers.PdfSignatureMetadata(
            field_name="Signature1", md_algorithm="sha256"
        )
        signed = await signers.async_sign_pdf(writer, metadata, signer=signer)
    pdf = signed.getvalue()
    with open(args.pdf, "wb") as out:
        out.write(pdf)
    return {
        "credential_id": credential_id,
        "otp_type": credential.response_data["OTP"]["type"],
        "hash_pinning": credential.hash_pinning_required,
        "max_batch_size": credential.max_batch_size,
        "chain": len(credential.chain) + 1,
        "authorize_requests": authorization.requests,
        "validation": await validate(pdf, root),
    }


async def main() -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["sign", "validate"])
    parser.add_argument("--service-url")
    parser.add_argument("--username")
    parser.add_argument("--password")
    parser.add_argument("--otp")
    parser.add_argument("--root", required=True)
    parser.add_argument("--pdf", required=True)
    args = parser.parse_args()
    root = load_cert_from_pemder(args.root)
    if args.mode == "sign":
        return await sign(args, root)
    with open(args.pdf, "rb") as signed:
        return {"validation": await validate(signed.read(), root)}


if __name__ == "__main__":
    try:
        print(json.dumps(asyncio.run(main())))
    except Exception as failure:  # the caller shows it all
        print(
            json.dumps(
                {"error": repr(failure), "traceback": traceback.format_exc()}
            )
        )
        sys.exit(1)
