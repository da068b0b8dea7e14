"""Validates the signatures of a PDF with pyHanko, as a relying party would; prints JSON.

usage: pyhanko_validate.py PDF ROOT_PEM MODE [TSA_ROOT_PEM]
MODE: "offline" (no fetching; revocation not checked), "online" (fetch OCSP/CRL, hard-fail),
or "ltv" (only the data embedded in the PDF's DSS, revocation required).
TSA_ROOT_PEM: the root the signature timestamps are trusted against (revocation not checked);
without it, the signer's context. Each signature's "timestamp" is null when it has none.
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
    ts_context = None
    if len(sys.argv) > 4:
        ts_context = ValidationContext(
            trust_roots=[load_cert_from_pemder(sys.argv[4])],
            allow_fetching=False,
            revocation_mode="soft-fail",
        )
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
            status = validate_pdf_signature(signature, context, ts_validation_context=ts_context)
            stamp = status.timestamp_validity
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
                    "timestamp": None
                    if stamp is None
                    else {
                        "intact": bool(stamp.intact),
                        "valid": bool(stamp.valid),
                        "trusted": bool(stamp.trusted),
                        "time": stamp.timestamp.isoformat(),
                        "tsa": stamp.signing_cert.subject.human_friendly,
                    },
                }
            )
    print(json.dumps({"signatures": results}, ensure_ascii=False))


if __name__ == "__main__":
    main()
