//! `nianbao admin add-clerk`: a clerk account for one agency.

use std::path::Path;

use super::{Fatal, Outcome};

/// Creates the clerk `login` of the agency named `agency` and prints the
/// one-time password, once.
pub fn run(data: &Path, agency: &str, login: &str) -> Result<Outcome, Fatal> {
    let store = nianbao::store::Store::open(data)?;
    let admin = store.console_admin()?;
    let agency = store
        .agency_by_name(&admin, agency)
        .map_err(|e| Fatal(format!("机关「{}」：{e}", agency.trim())))?;
    let clerk = store.create_clerk(&admin, agency.id, login)?;
    println!("机关：{}", agency.name);
    println!("填报人账号：{}", clerk.account.login);
    println!(
        "一次性密码：{}（只显示这一次；请登录后修改）",
        clerk.password.expose()
    );
    Ok(Outcome::default())
}
