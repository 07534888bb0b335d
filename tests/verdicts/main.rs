//! Proof of the suite's verdicts, both ways: it catches every broken server of
//! the fault catalogue (`faults`), and it passes conforming servers that made
//! other choices than the reference server where the documents are silent
//! (`variants`), whatever combination of its own choices the reference server
//! makes (`switches`). Both run the whole harness in-process, so they share a binary
//! of their own: cucumber swaps the panic hook while it runs.

mod explore;
mod faults;
mod fileverbs_preflight;
mod lac_url_auth;
mod limecraft_headers;
mod limecraft_noclock;
mod limecraft_preflight;
mod limecraft_totp;
mod players;
mod runner;
mod switches;
mod variants;
