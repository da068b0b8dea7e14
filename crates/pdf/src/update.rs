//! The incremental update that adds a signature to a PDF (ISO 32000-1 §12.8): the original bytes
//! stay as they are, and after them come a signature dictionary with a `/Contents` placeholder,
//! a signature field (a widget annotation on a page, invisible or with an appearance), the page
//! and the form that now list it, a cross-reference section and a trailer. The signed bytes are
//! the whole file but the placeholder, as `/ByteRange` says.

use lopdf::{Dictionary, Document, IncrementalDocument, Object, ObjectId, Stream, StringFormat};
use sha2::{Digest, Sha256};

use crate::{PdfError, SignatureOptions};

/// Room for the CMS signature, in bytes (hex-encoded in the file: twice as many characters).
pub const CONTENTS_CAPACITY: usize = 16 * 1024;

/// Stands for the byte range's numbers until they are known; as wide as any of them can be.
const RANGE_PLACEHOLDER: i64 = 9_999_999_999;

/// A PDF with a signature dictionary waiting for its `/Contents`.
pub struct Prepared {
    bytes: Vec<u8>,
    /// Where the hex digits of `/Contents` start (after `<`) and end (before `>`).
    contents: (usize, usize),
    digest: [u8; 32],
}

impl Prepared {
    /// SHA-256 of the signed bytes (everything but the `/Contents` placeholder).
    pub fn content_digest(&self) -> &[u8; 32] {
        &self.digest
    }

    /// Writes the CMS signature into the placeholder.
    pub fn embed(mut self, cms_der: &[u8]) -> Result<Vec<u8>, PdfError> {
        let (start, end) = self.contents;
        let hex: Vec<u8> = cms_der
            .iter()
            .flat_map(|b| {
                let digits = b"0123456789ABCDEF";
                [digits[(b >> 4) as usize], digits[(b & 0x0f) as usize]]
            })
            .collect();
        if hex.len() > end - start {
            return Err(PdfError::SignatureTooLarge);
        }
        self.bytes[start..start + hex.len()].copy_from_slice(&hex);
        Ok(self.bytes)
    }
}

/// The version in the header (`%PDF-1.7` → (1, 7)); PDFs older than 1.4 are refused.
fn check_version(pdf: &[u8]) -> Result<(), PdfError> {
    let head = &pdf[..pdf.len().min(1024)];
    let at = head
        .windows(5)
        .position(|w| w == b"%PDF-")
        .ok_or(PdfError::NotPdf)?;
    let version = &head[at + 5..];
    let major = version.first().copied().unwrap_or(0);
    let minor = version.get(2).copied().unwrap_or(0);
    match (major, version.get(1), minor) {
        (b'2', Some(b'.'), _) => Ok(()),
        (b'1', Some(b'.'), b'4'..=b'9') => Ok(()),
        (b'1', Some(b'.'), b'0'..=b'3') => Err(PdfError::TooOld),
        _ => Err(PdfError::NotPdf),
    }
}

/// A text string (ISO 32000-1 §7.9.2.2): ASCII as it is, anything else as UTF-16BE.
fn text_string(text: &str) -> Object {
    if text.is_ascii() {
        return Object::String(text.as_bytes().to_vec(), StringFormat::Literal);
    }
    let mut bytes = vec![0xFE, 0xFF];
    bytes.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
    Object::String(bytes, StringFormat::Hexadecimal)
}

/// The array behind `key` of the dictionary `owner` in the new revision, made editable (an
/// array object of the previous revision is copied into the new one); `None` when absent.
fn push_to_array(
    update: &mut IncrementalDocument,
    owner: ObjectId,
    key: &[u8],
    item: Object,
) -> Result<(), PdfError> {
    let existing = update
        .new_document
        .get_dictionary(owner)?
        .get(key)
        .ok()
        .cloned();
    match existing {
        Some(Object::Reference(array_id)) => {
            update.opt_clone_object_to_new_document(array_id)?;
            update
                .new_document
                .get_object_mut(array_id)?
                .as_array_mut()?
                .push(item);
        }
        Some(Object::Array(mut items)) => {
            items.push(item);
            update
                .new_document
                .get_dictionary_mut(owner)?
                .set(key, Object::Array(items));
        }
        _ => {
            update
                .new_document
                .get_dictionary_mut(owner)?
                .set(key, Object::Array(vec![item]));
        }
    }
    Ok(())
}

/// The appearance of a visible signature: a light box with the lines of text in Helvetica.
fn appearance(
    update: &mut IncrementalDocument,
    width: f32,
    height: f32,
    lines: &[String],
) -> ObjectId {
    let font = update.new_document.add_object(Dictionary::from_iter([
        ("Type", Object::Name(b"Font".to_vec())),
        ("Subtype", Object::Name(b"Type1".to_vec())),
        ("BaseFont", Object::Name(b"Helvetica".to_vec())),
        ("Encoding", Object::Name(b"WinAnsiEncoding".to_vec())),
    ]));
    let mut content = format!(
        "q 0.94 0.96 1 rg 0 0 {width} {height} re f Q q 0.1 0.3 0.6 RG 1 w 0.5 0.5 {} {} re S Q BT 0 g /F1 8 Tf 10 TL 4 {} Td",
        width - 1.0,
        height - 1.0,
        height - 11.0
    );
    for line in lines {
        // Helvetica's WinAnsi covers ASCII; anything else was transliterated by the caller.
        let escaped: String = line
            .chars()
            .filter(|c| c.is_ascii() && !c.is_ascii_control())
            .flat_map(|c| match c {
                '(' | ')' | '\\' => vec!['\\', c],
                c => vec![c],
            })
            .collect();
        content.push_str(&format!(" ({escaped}) Tj T*"));
    }
    content.push_str(" ET");
    let resources = Dictionary::from_iter([(
        "Font",
        Object::Dictionary(Dictionary::from_iter([("F1", Object::Reference(font))])),
    )]);
    let dictionary = Dictionary::from_iter([
        ("Type", Object::Name(b"XObject".to_vec())),
        ("Subtype", Object::Name(b"Form".to_vec())),
        (
            "BBox",
            Object::Array(vec![0.into(), 0.into(), width.into(), height.into()]),
        ),
        ("Resources", Object::Dictionary(resources)),
    ]);
    update
        .new_document
        .add_object(Stream::new(dictionary, content.into_bytes()))
}

/// Adds a signature dictionary with an empty `/Contents` to `pdf`, and computes the digest of
/// the bytes it will sign.
pub fn prepare(pdf: &[u8], options: &SignatureOptions) -> Result<Prepared, PdfError> {
    check_version(pdf)?;
    let document = Document::load_mem(pdf).map_err(|_| PdfError::Unreadable)?;
    if document.is_encrypted() {
        return Err(PdfError::Encrypted);
    }
    let pages = document.get_pages();
    let page_number = options.visible.as_ref().map_or(1, |v| v.page);
    let page_id = *pages.get(&page_number).ok_or(PdfError::NoSuchPage {
        page: page_number,
        pages: pages.len(),
    })?;
    let catalog_id = document
        .trailer
        .get(b"Root")
        .and_then(Object::as_reference)
        .map_err(|_| PdfError::Unreadable)?;
    let existing_fields = document
        .objects
        .values()
        .filter(|o| {
            o.as_dict()
                .is_ok_and(|d| d.get(b"FT").ok() == Some(&Object::Name(b"Sig".to_vec())))
        })
        .count();
    let mut update = IncrementalDocument::create_from(pdf.to_vec(), document);

    let mut signature = Dictionary::from_iter([
        ("Type", Object::Name(b"Sig".to_vec())),
        ("Filter", Object::Name(b"Adobe.PPKLite".to_vec())),
        ("SubFilter", Object::Name(b"ETSI.CAdES.detached".to_vec())),
        (
            "ByteRange",
            Object::Array(vec![
                0.into(),
                RANGE_PLACEHOLDER.into(),
                RANGE_PLACEHOLDER.into(),
                RANGE_PLACEHOLDER.into(),
            ]),
        ),
        (
            "Contents",
            Object::String(vec![0; CONTENTS_CAPACITY], StringFormat::Hexadecimal),
        ),
        (
            "M",
            Object::String(
                options.signing_time.as_bytes().to_vec(),
                StringFormat::Literal,
            ),
        ),
        ("Name", text_string(&options.signer_name)),
    ]);
    if let Some(reason) = &options.reason {
        signature.set("Reason", text_string(reason));
    }
    let signature_id = update.new_document.add_object(signature);

    let (rect, appearance_id) = match &options.visible {
        Some(visible) => {
            let [x, y, width, height] = visible.rect;
            let id = appearance(&mut update, width, height, &visible.lines);
            (
                vec![x.into(), y.into(), (x + width).into(), (y + height).into()],
                Some(id),
            )
        }
        None => (vec![0.into(), 0.into(), 0.into(), 0.into()], None),
    };
    let mut widget = Dictionary::from_iter([
        ("Type", Object::Name(b"Annot".to_vec())),
        ("Subtype", Object::Name(b"Widget".to_vec())),
        ("FT", Object::Name(b"Sig".to_vec())),
        (
            "T",
            Object::String(
                format!("Signature{}", existing_fields + 1).into_bytes(),
                StringFormat::Literal,
            ),
        ),
        ("V", Object::Reference(signature_id)),
        // Print, locked.
        ("F", Object::Integer(132)),
        ("Rect", Object::Array(rect)),
        ("P", Object::Reference(page_id)),
    ]);
    if let Some(id) = appearance_id {
        widget.set(
            "AP",
            Object::Dictionary(Dictionary::from_iter([("N", Object::Reference(id))])),
        );
    }
    let widget_id = update.new_document.add_object(widget);

    update.opt_clone_object_to_new_document(page_id)?;
    push_to_array(
        &mut update,
        page_id,
        b"Annots",
        Object::Reference(widget_id),
    )?;

    update.opt_clone_object_to_new_document(catalog_id)?;
    let form = update
        .new_document
        .get_dictionary(catalog_id)?
        .get(b"AcroForm")
        .ok()
        .cloned();
    let form_id = match form {
        Some(Object::Reference(id)) => {
            update.opt_clone_object_to_new_document(id)?;
            id
        }
        Some(Object::Dictionary(inline)) => {
            let id = update.new_document.add_object(inline);
            update
                .new_document
                .get_dictionary_mut(catalog_id)?
                .set("AcroForm", Object::Reference(id));
            id
        }
        _ => {
            let id = update.new_document.add_object(Dictionary::new());
            update
                .new_document
                .get_dictionary_mut(catalog_id)?
                .set("AcroForm", Object::Reference(id));
            id
        }
    };
    push_to_array(
        &mut update,
        form_id,
        b"Fields",
        Object::Reference(widget_id),
    )?;
    // Signatures exist; the file must be saved incrementally.
    update
        .new_document
        .get_dictionary_mut(form_id)?
        .set("SigFlags", Object::Integer(3));

    let mut bytes = Vec::with_capacity(pdf.len() + 3 * CONTENTS_CAPACITY);
    update.save_to(&mut bytes)?;
    locate_and_fill(bytes, pdf.len())
}

/// Finds the placeholders in the appended revision, writes the byte range, and digests.
fn locate_and_fill(mut bytes: Vec<u8>, original: usize) -> Result<Prepared, PdfError> {
    let find = |bytes: &[u8], needle: &[u8]| {
        bytes[original..]
            .windows(needle.len())
            .position(|w| w == needle)
            .map(|at| at + original)
    };
    let mut hole = vec![b'<'];
    hole.extend(std::iter::repeat_n(b'0', 2 * CONTENTS_CAPACITY));
    hole.push(b'>');
    let contents_start = find(&bytes, &hole).ok_or(PdfError::Internal("no /Contents"))?;
    let contents_end = contents_start + hole.len();
    let range = format!("[0 {RANGE_PLACEHOLDER} {RANGE_PLACEHOLDER} {RANGE_PLACEHOLDER}]");
    let range_at = find(&bytes, range.as_bytes()).ok_or(PdfError::Internal("no /ByteRange"))?;
    let after = bytes.len() - contents_end;
    let mut filled = format!("[0 {contents_start} {contents_end} {after}]");
    if filled.len() > range.len() {
        return Err(PdfError::Internal("the byte range does not fit"));
    }
    // Blanks keep every offset after it where it was.
    while filled.len() < range.len() {
        filled.insert(filled.len() - 1, ' ');
    }
    bytes[range_at..range_at + range.len()].copy_from_slice(filled.as_bytes());
    let mut hasher = Sha256::new();
    hasher.update(&bytes[..contents_start]);
    hasher.update(&bytes[contents_end..]);
    Ok(Prepared {
        digest: hasher.finalize().into(),
        contents: (contents_start + 1, contents_end - 1),
        bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_from_1_4_are_signed() {
        assert_eq!(check_version(b"%PDF-1.7\n"), Ok(()));
        assert_eq!(check_version(b"%PDF-1.4\n"), Ok(()));
        assert_eq!(check_version(b"%PDF-2.0\n"), Ok(()));
        assert_eq!(check_version(b"%PDF-1.3\n"), Err(PdfError::TooOld));
        assert_eq!(check_version(b"GIF89a"), Err(PdfError::NotPdf));
        assert_eq!(check_version(b""), Err(PdfError::NotPdf));
    }

    #[test]
    fn text_strings_are_utf16_when_not_ascii() {
        assert_eq!(
            text_string("Ana"),
            Object::String(b"Ana".to_vec(), StringFormat::Literal)
        );
        let Object::String(bytes, StringFormat::Hexadecimal) = text_string("Άννα") else {
            panic!("hex")
        };
        assert_eq!(&bytes[..4], &[0xFE, 0xFF, 0x03, 0x86]);
    }
}
