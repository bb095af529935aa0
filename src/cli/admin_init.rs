//! `nianbao admin init`: the data folder of the county server, with its
//! first administrator.

use std::path::Path;

use super::{Fatal, Outcome};

/// Creates `DIR/nianbao.db` for `county` and prints the one-time password of
/// the administrator `admin`, once. An initialised folder is refused (exit 2).
pub fn run(data: &Path, county: &str) -> Result<Outcome, Fatal> {
    let (store, password) = nianbao::store::Store::init(data, county)?;
    println!(
        "已创建数据库 {}（{}）。",
        store.path().display(),
        county.trim()
    );
    println!("管理员账号：admin");
    println!(
        "一次性密码：{}（只显示这一次；请登录后修改）",
        password.expose()
    );
    Ok(Outcome::default())
}
