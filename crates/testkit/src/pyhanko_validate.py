"""Validates the signatures of a PDF with pyHanko, as a relying party would; prints JSON.

usage: pyhanko_validate.py PDF ROOT_PEM MODE
MODE: "offline" (no fetching; revocation not checked), "online" (fetch OCSP/CRL, hard-fail),
or "ltv" (only the data embedded in the PDF's DSS, revocation required).
"""

import json
import sys

from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko_certvalidator import ValidationContext


def main():
    path, root_path, mode = sys.argv[1], sys.argv[2], sys.argv[3]
    root = load_cert_from_pemder(root_path)
    results = []
    with open(path, "rb") as f:
        reader = PdfFileReader(f)
        for signature in reader.embedded_signatures:
            if mode == "online":
                context = ValidationContext(
                    trust_roots=[root], allow_fetching=True, revocation_mode="hard-fail"
                )
            elif mode == "ltv":
                dss = DocumentSecurityStore.read_dss(reader)
                context = dss.as_validation_context(
                    {"trust_roots": [root], "allow_fetching": False, "revocation_mode": "require"}
                )
            else:
                context = ValidationContext(
                    trust_roots=[root], allow_fetching=False, revocation_mode="soft-fail"
                )
            status = validate_pdf_signature(signature, context)
            results.append(
                {
                    "field": signature.field_name,
                    "intact": bool(status.intact),
                    "valid": bool(status.valid),
                    "trusted": bool(status.trusted),
                    "revoked": bool(getattr(status, "revoked", False)),
                    "coverage": str(status.coverage),
                    "bottom_line": bool(status.bottom_line),
                    "signer": status.signing_cert.subject.human_friendly,
                    "summary": status.summary(),
                    "sub_filter": str(signature.sig_object.get("/SubFilter")),
                }
            )
    print(json.dumps({"signatures": results}, ensure_ascii=False))


if __name__ == "__main__":
    main()
