//! Signing with the issued certificate (issue 11) over HTTP: the public sector's signing API
//! (`/Sign/Api`), checked with openssl.

mod sign_buffer;
