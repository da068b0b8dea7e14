//! Small PDFs to sign in tests, made with lopdf.

pub use lopdf::xref::XrefType;
use lopdf::{Dictionary, Document, Object, Stream};

/// A one-page PDF of `version` saying hello, with a classic cross-reference table.
pub fn hello_pdf(version: &str) -> Vec<u8> {
    let bytes = hello_pdf_with(version, XrefType::CrossReferenceTable);
    assert!(bytes.starts_with(format!("%PDF-{version}").as_bytes()));
    bytes
}

pub fn hello_pdf_with(version: &str, xref: XrefType) -> Vec<u8> {
    let mut doc = Document::with_version(version);
    let pages_id = doc.new_object_id();
    let font = doc.add_object(Dictionary::from_iter([
        ("Type", Object::Name(b"Font".to_vec())),
        ("Subtype", Object::Name(b"Type1".to_vec())),
        ("BaseFont", Object::Name(b"Helvetica".to_vec())),
    ]));
    let content = doc.add_object(Stream::new(
        Dictionary::new(),
        b"BT /F1 24 Tf 72 720 Td (Hello, certdesk) Tj ET".to_vec(),
    ));
    let page = doc.add_object(Dictionary::from_iter([
        ("Type", Object::Name(b"Page".to_vec())),
        ("Parent", Object::Reference(pages_id)),
        ("Contents", Object::Reference(content)),
        (
            "Resources",
            Object::Dictionary(Dictionary::from_iter([(
                "Font",
                Object::Dictionary(Dictionary::from_iter([("F1", Object::Reference(font))])),
            )])),
        ),
        (
            "MediaBox",
            Object::Array(vec![0.into(), 0.into(), 595.into(), 842.into()]),
        ),
    ]));
    doc.objects.insert(
        pages_id,
        Object::Dictionary(Dictionary::from_iter([
            ("Type", Object::Name(b"Pages".to_vec())),
            ("Kids", Object::Array(vec![Object::Reference(page)])),
            ("Count", Object::Integer(1)),
        ])),
    );
    let catalog = doc.add_object(Dictionary::from_iter([
        ("Type", Object::Name(b"Catalog".to_vec())),
        ("Pages", Object::Reference(pages_id)),
    ]));
    doc.trailer.set("Root", Object::Reference(catalog));
    // A classic table keeps the header's version as it is (a stream would need 1.5).
    doc.reference_table.cross_reference_type = xref;
    let mut bytes = Vec::new();
    doc.save_to(&mut bytes).unwrap();
    bytes
}
