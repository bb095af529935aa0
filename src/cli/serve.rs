//! `nianbao serve`: the HTTP service of the library, until SIGINT or SIGTERM.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use super::{Fatal, Outcome};

/// Serves on `addr` with the default limits, with the county's store of
/// `data` when given; an address that cannot be bound or a data folder that
/// cannot be opened is fatal (exit 2).
pub fn run(addr: SocketAddr, data: Option<&Path>, secure_cookie: bool) -> Result<Outcome, Fatal> {
    // Each argon2 hash of a login takes a 19 MiB block. Left to glibc's
    // dynamic threshold, the first block freed raised it past 19 MiB, and
    // every later block came from the heap of its thread's arena and was
    // kept there: 300 clerks logging in left the server at 960 MB resident
    // (scripts/load-county.sh). With the threshold fixed, the blocks are
    // mapped and returned: 20 MB. The county ZIP is a batch, too.
    nianbao::batch::tune_allocator();
    let store = match data {
        Some(dir) => Some(Arc::new(
            nianbao::store::Store::open(dir).map_err(|e| Fatal(e.to_string()))?,
        )),
        None => None,
    };
    let config = nianbao::serve::Config {
        store,
        secure_cookie,
        ..nianbao::serve::Config::default()
    };
    nianbao::serve::run(addr, config)
        .map_err(|e| Fatal(format!("{addr}: 无法启动服务：{}", reason(&e))))?;
    Ok(Outcome::default())
}

/// Why the address could not be served, in Chinese.
fn reason(e: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::AddrInUse => "地址已被占用".into(),
        K::AddrNotAvailable => "本机没有这个地址".into(),
        K::PermissionDenied => "无权限使用这个端口".into(),
        _ => nianbao::io_reason(e, nianbao::IoAction::Read),
    }
}
