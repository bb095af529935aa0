//! `nianbao serve`: the HTTP service of the library, until SIGINT or SIGTERM.

use std::net::SocketAddr;

use super::{Fatal, Outcome};

/// Serves on `addr` with the default limits; an address that cannot be bound
/// is fatal (exit 2).
pub fn run(addr: SocketAddr) -> Result<Outcome, Fatal> {
    nianbao::serve::run(addr, nianbao::serve::Config::default())
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
