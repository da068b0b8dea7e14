//! The Document Security Store (ISO 32000-2 §12.8.4.3, PAdES B-LT): after the signature, a
//! second incremental update adds the certificates, OCSP responses and CRLs that validate it,
//! so that the document validates later without asking anyone.

use lopdf::{Dictionary, Document, IncrementalDocument, Object, Stream};

use crate::PdfError;

/// What validates the signatures: DER certificates, OCSP responses and CRLs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValidationData {
    pub certificates: Vec<Vec<u8>>,
    pub ocsp_responses: Vec<Vec<u8>>,
    pub crls: Vec<Vec<u8>>,
}

/// `pdf` with a `/DSS` holding `data`, added as an incremental update (the signatures' bytes stay
/// as they were).
pub fn add_validation_data(pdf: &[u8], data: &ValidationData) -> Result<Vec<u8>, PdfError> {
    let document = Document::load_mem(pdf).map_err(|_| PdfError::Unreadable)?;
    let catalog_id = document
        .trailer
        .get(b"Root")
        .and_then(Object::as_reference)
        .map_err(|_| PdfError::Unreadable)?;
    let mut update = IncrementalDocument::create_from(pdf.to_vec(), document);
    let mut streams = |items: &[Vec<u8>]| -> Object {
        Object::Array(
            items
                .iter()
                .map(|der| {
                    let id = update
                        .new_document
                        .add_object(Stream::new(Dictionary::new(), der.clone()));
                    Object::Reference(id)
                })
                .collect(),
        )
    };
    let dss = Dictionary::from_iter([
        ("Type", Object::Name(b"DSS".to_vec())),
        ("Certs", streams(&data.certificates)),
        ("OCSPs", streams(&data.ocsp_responses)),
        ("CRLs", streams(&data.crls)),
    ]);
    let dss_id = update.new_document.add_object(dss);
    update.opt_clone_object_to_new_document(catalog_id)?;
    update
        .new_document
        .get_dictionary_mut(catalog_id)?
        .set("DSS", Object::Reference(dss_id));
    let mut bytes = Vec::with_capacity(pdf.len() + 16 * 1024);
    update.save_to(&mut bytes)?;
    Ok(bytes)
}
