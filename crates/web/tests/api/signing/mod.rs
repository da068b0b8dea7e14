//! Signing with the issued certificate (issue 11) over HTTP: the public sector's signing API
//! (`/Sign/Api`) and the CSC API (`/csc/v1`, `/csc/v2`), checked with openssl, pyHanko
//! signing a PDF through the CSC API, and v2's signDoc's PDFs validated by pyHanko.

mod csc;
mod pyhanko;
mod sign_buffer;
mod sign_doc;
