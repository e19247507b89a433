//! Where the passwords of watched accounts are kept: never in the history. The first of
//! these that works takes a password: the desktop's Secret Service (GNOME Keyring, KWallet,
//! KeePassXC) over D-Bus, the kernel's keyring, then a file in the data directory that only
//! its owner can read. A headless Linux box has no Secret Service, and a container may
//! refuse the kernel keyring: every save says which store took the password and why the
//! ones before it did not, and every lookup tries them in the same order.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The environment variable that names the one store to use (`secret-service`, `kernel`,
/// `file`) instead of the first that works.
pub const ENV: &str = "MAILDOC_KEYRING";

/// The name the passwords are kept under in the Secret Service and the kernel keyring.
const SERVICE: &str = "maildoc";

/// A store a password can be kept in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Vault {
    /// The desktop's Secret Service (D-Bus `org.freedesktop.secrets`): kept encrypted,
    /// unlocked with the login.
    SecretService,
    /// The kernel's keyring (keyctl): kept in memory until the machine restarts.
    Kernel,
    /// `watch-passwords.toml` in the data directory, mode 0600: kept on disk in clear.
    File,
}

impl Vault {
    pub const ALL: [Vault; 3] = [Vault::SecretService, Vault::Kernel, Vault::File];

    pub fn name(self) -> &'static str {
        match self {
            Vault::SecretService => "secret-service",
            Vault::Kernel => "kernel",
            Vault::File => "file",
        }
    }

    pub fn parse(text: &str) -> Option<Vault> {
        Vault::ALL.into_iter().find(|v| v.name() == text.trim())
    }
}

/// Why a store could not be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Why {
    /// Not on this system (no D-Bus session bus, not Linux).
    Absent,
    /// It did not answer in time (a locked keyring waiting for someone to unlock it).
    Timeout,
    /// It refused (locked, not permitted, a file others can read).
    Denied,
    /// It failed otherwise.
    Failed,
}

/// A store that was passed over, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    pub vault: Vault,
    pub why: Why,
    /// The system's own words (never a password).
    pub detail: String,
}

/// Where a password was saved, and the stores passed over before it.
#[derive(Clone, Debug)]
pub struct Saved {
    pub vault: Vault,
    pub skipped: Vec<Skipped>,
}

/// A password looked up.
#[derive(Clone, Debug, Default)]
pub struct Found {
    /// The password and the store it came from.
    pub password: Option<(String, Vault)>,
    /// The stores that could not be asked.
    pub skipped: Vec<Skipped>,
}

/// The stores to try, in order, and where the file store is.
#[derive(Clone, Debug)]
pub struct Keyring {
    vaults: Vec<Vault>,
    file: PathBuf,
    /// Whether this process has a D-Bus session bus to find the Secret Service on.
    bus: bool,
}

impl Keyring {
    /// Every store in order, or only `only`; the file store's file is `file`.
    pub fn new(only: Option<Vault>, file: PathBuf) -> Keyring {
        let vaults = match only {
            Some(v) => vec![v],
            None => Vault::ALL.to_vec(),
        };
        let bus = std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some_and(|a| !a.is_empty())
            || std::env::var_os("XDG_RUNTIME_DIR")
                .is_some_and(|dir| Path::new(&dir).join("bus").exists());
        Keyring { vaults, file, bus }
    }

    /// The Secret Service needs a session bus; without one it is passed over at once.
    fn secret_service(&self) -> Result<(), (Why, String)> {
        if self.bus {
            Ok(())
        } else {
            Err((
                Why::Absent,
                "no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)".to_owned(),
            ))
        }
    }

    /// `watch-passwords.toml` beside the default history file.
    pub fn default_file() -> Result<PathBuf, crate::Error> {
        directories::ProjectDirs::from("", "", "maildoc")
            .map(|dirs| dirs.data_dir().join("watch-passwords.toml"))
            .ok_or(crate::Error::NoDataDir)
    }

    pub fn file(&self) -> &Path {
        &self.file
    }

    /// Keeps `password` for `address` in the first store that takes it.
    pub fn save(&self, address: &str, password: &str) -> Result<Saved, Vec<Skipped>> {
        let address = address.to_lowercase();
        let mut skipped = Vec::new();
        for &vault in &self.vaults {
            match self.put(vault, &address, password) {
                Ok(()) => return Ok(Saved { vault, skipped }),
                Err((why, detail)) => skipped.push(Skipped { vault, why, detail }),
            }
        }
        Err(skipped)
    }

    /// The password of `address` from the first store that has it.
    pub fn find(&self, address: &str) -> Found {
        let address = address.to_lowercase();
        let mut found = Found::default();
        for &vault in &self.vaults {
            match self.get(vault, &address) {
                Ok(Some(password)) => {
                    found.password = Some((password, vault));
                    break;
                }
                Ok(None) => {}
                Err((why, detail)) => found.skipped.push(Skipped { vault, why, detail }),
            }
        }
        found
    }

    /// Removes the password of `address` from every store that had it; the stores it was
    /// removed from.
    pub fn forget(&self, address: &str) -> (Vec<Vault>, Vec<Skipped>) {
        let address = address.to_lowercase();
        let mut removed = Vec::new();
        let mut skipped = Vec::new();
        for &vault in &self.vaults {
            match self.remove(vault, &address) {
                Ok(true) => removed.push(vault),
                Ok(false) => {}
                Err((why, detail)) => skipped.push(Skipped { vault, why, detail }),
            }
        }
        (removed, skipped)
    }

    fn put(&self, vault: Vault, address: &str, password: &str) -> Result<(), (Why, String)> {
        match vault {
            Vault::SecretService => {
                self.secret_service()?;
                secret_service::put(address, password)
            }
            Vault::Kernel => kernel::put(address, password),
            Vault::File => {
                let mut table = read_file_or_empty(&self.file)?;
                table.insert(address.to_owned(), password.to_owned());
                write_file(&self.file, &table).map_err(|e| (Why::Failed, e.to_string()))
            }
        }
    }

    fn get(&self, vault: Vault, address: &str) -> Result<Option<String>, (Why, String)> {
        match vault {
            Vault::SecretService => {
                self.secret_service()?;
                secret_service::get(address)
            }
            Vault::Kernel => kernel::get(address),
            Vault::File => Ok(read_file_or_empty(&self.file)?.remove(address)),
        }
    }

    fn remove(&self, vault: Vault, address: &str) -> Result<bool, (Why, String)> {
        match vault {
            Vault::SecretService => {
                self.secret_service()?;
                secret_service::remove(address)
            }
            Vault::Kernel => kernel::remove(address),
            Vault::File => {
                let mut table = read_file_or_empty(&self.file)?;
                if table.remove(address).is_none() {
                    return Ok(false);
                }
                write_file(&self.file, &table).map_err(|e| (Why::Failed, e.to_string()))?;
                Ok(true)
            }
        }
    }
}

/// A passwords file: TOML, `"address" = "password"` a line, readable by its owner only.
/// Addresses are lower-cased. The errors never quote the file's text.
pub fn read_file(path: &Path) -> Result<BTreeMap<String, String>, (Why, String)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .map_err(|e| (Why::Failed, e.to_string()))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err((
                Why::Denied,
                format!("mode {:o}: others can read it (chmod 600)", mode & 0o777),
            ));
        }
    }
    let text = std::fs::read_to_string(path).map_err(|e| (Why::Failed, e.to_string()))?;
    // Parsed as a table and each value checked here: a parser's message about a value that
    // is not text would quote the value, a password.
    let table: toml::Table = text.parse().map_err(|_| {
        (
            Why::Failed,
            "not TOML (\"address\" = \"password\" a line)".to_owned(),
        )
    })?;
    let mut passwords = BTreeMap::new();
    for (address, value) in table {
        let toml::Value::String(password) = value else {
            return Err((
                Why::Failed,
                format!("the password of {address} is not quoted text"),
            ));
        };
        passwords.insert(address.to_lowercase(), password);
    }
    Ok(passwords)
}

fn read_file_or_empty(path: &Path) -> Result<BTreeMap<String, String>, (Why, String)> {
    if !path.exists() {
        return Ok(BTreeMap::new());
    }
    read_file(path)
}

/// Writes the table whole to a new file (mode 0600 from its creation) and renames it over
/// the old one, so a crash leaves the old file or the new, never half of one.
fn write_file(path: &Path, table: &BTreeMap<String, String>) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    crate::sqlite::create_private_dir(dir)?;
    let text = toml::to_string(table).map_err(std::io::Error::other)?;
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".{}.tmp", std::process::id()));
    let temporary = dir.join(name);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = (|| {
        let mut file = options.open(&temporary)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written
}

#[cfg(target_os = "linux")]
mod secret_service {
    //! The Secret Service over D-Bus, through the keyring crates. A locked collection asks
    //! the desktop to prompt and then waits for an answer without end, so each call runs on
    //! a thread of its own and is given up after `LIMIT`.

    use super::{SERVICE, Why};
    use keyring_core::{Entry, Error};
    use std::time::Duration;

    const LIMIT: Duration = Duration::from_secs(10);

    fn call<T: Send + 'static>(
        address: &str,
        op: impl FnOnce(&Entry) -> keyring_core::Result<T> + Send + 'static,
    ) -> Result<T, (Why, String)> {
        let address = address.to_owned();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("maildoc-secret-service".to_owned())
            .spawn(move || {
                let result = dbus_secret_service_keyring_store::Store::new()
                    .and_then(|store| {
                        let store: std::sync::Arc<keyring_core::CredentialStore> = store;
                        Entry::new_in_store(&store, SERVICE, &address)
                    })
                    .and_then(|entry| op(&entry));
                let _ = tx.send(result);
            })
            .map_err(|e| (Why::Failed, e.to_string()))?;
        match rx.recv_timeout(LIMIT) {
            Ok(result) => result.map_err(why),
            Err(_) => Err((
                Why::Timeout,
                format!(
                    "no answer within {} s (is the keyring locked?)",
                    LIMIT.as_secs()
                ),
            )),
        }
    }

    fn why(e: Error) -> (Why, String) {
        match e {
            Error::NoStorageAccess(e) => (Why::Denied, e.to_string()),
            Error::PlatformFailure(e) => (Why::Absent, e.to_string()),
            e => (Why::Failed, e.to_string()),
        }
    }

    pub fn put(address: &str, password: &str) -> Result<(), (Why, String)> {
        let password = password.to_owned();
        call(address, move |entry| entry.set_password(&password))
    }

    pub fn get(address: &str) -> Result<Option<String>, (Why, String)> {
        call(address, |entry| match entry.get_password() {
            Ok(p) => Ok(Some(p)),
            Err(Error::NoEntry) => Ok(None),
            Err(e) => Err(e),
        })
    }

    pub fn remove(address: &str) -> Result<bool, (Why, String)> {
        call(address, |entry| match entry.delete_credential() {
            Ok(()) => Ok(true),
            Err(Error::NoEntry) => Ok(false),
            Err(e) => Err(e),
        })
    }
}

#[cfg(target_os = "linux")]
mod kernel {
    //! The kernel keyring: the user's persistent keyring when the kernel lets this process
    //! write to it (kept across logins, dropped after some days unused), else the user
    //! keyring (kept while the user has a process running). Both end at a restart.

    use super::{SERVICE, Why};
    use linux_keyutils::{Key, KeyError, KeyRing, KeyRingIdentifier};

    fn description(address: &str) -> String {
        format!("{SERVICE}:{address}")
    }

    fn why(e: KeyError) -> (Why, String) {
        match e {
            KeyError::AccessDenied | KeyError::PermissionDenied => (Why::Denied, format!("{e:?}")),
            KeyError::OperationNotSupported => (Why::Absent, format!("{e:?}")),
            e => (Why::Failed, format!("{e:?}")),
        }
    }

    /// The keyrings a password may be in, the persistent one first.
    fn rings() -> Result<Vec<KeyRing>, (Why, String)> {
        let user = KeyRing::from_special_id(KeyRingIdentifier::User, true).map_err(why)?;
        let mut rings = Vec::new();
        if let Ok(persistent) = KeyRing::get_persistent(KeyRingIdentifier::Session) {
            rings.push(persistent);
        }
        rings.push(user);
        Ok(rings)
    }

    fn find(address: &str) -> Result<Option<Key>, (Why, String)> {
        let description = description(address);
        for ring in rings()? {
            match ring.search(&description) {
                Ok(key) => return Ok(Some(key)),
                // An invalidated key is found until the kernel collects it.
                Err(KeyError::KeyDoesNotExist | KeyError::KeyRevoked | KeyError::KeyExpired) => {}
                Err(e) => return Err(why(e)),
            }
        }
        Ok(None)
    }

    pub fn put(address: &str, password: &str) -> Result<(), (Why, String)> {
        let description = description(address);
        let mut last = None;
        for ring in rings()? {
            match ring.add_key(&description, password.as_bytes()) {
                Ok(_) => return Ok(()),
                Err(e) => last = Some(why(e)),
            }
        }
        Err(last.unwrap_or((Why::Absent, "no keyring".to_owned())))
    }

    pub fn get(address: &str) -> Result<Option<String>, (Why, String)> {
        let Some(key) = find(address)? else {
            return Ok(None);
        };
        let bytes = key.read_to_vec().map_err(why)?;
        String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| (Why::Failed, "the key is not text".to_owned()))
    }

    pub fn remove(address: &str) -> Result<bool, (Why, String)> {
        let mut removed = false;
        while let Some(key) = find(address)? {
            key.invalidate().map_err(why)?;
            removed = true;
        }
        Ok(removed)
    }
}

#[cfg(not(target_os = "linux"))]
mod secret_service {
    use super::Why;

    fn absent<T>() -> Result<T, (Why, String)> {
        Err((Why::Absent, "not built for this system".to_owned()))
    }

    pub fn put(_: &str, _: &str) -> Result<(), (Why, String)> {
        absent()
    }

    pub fn get(_: &str) -> Result<Option<String>, (Why, String)> {
        absent()
    }

    pub fn remove(_: &str) -> Result<bool, (Why, String)> {
        absent()
    }
}

#[cfg(not(target_os = "linux"))]
use secret_service as kernel;

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    use maildoc_testkit::scratch::Scratch;

    /// A scratch directory and the passwords file in a data directory not yet made in it.
    fn scratch(name: &str) -> (Scratch, PathBuf) {
        let dir = Scratch::new(name);
        let file = dir.path("data").join("watch-passwords.toml");
        (dir, file)
    }

    #[test]
    fn the_file_store_keeps_replaces_and_forgets_owner_only() {
        let (_dir, path) = scratch("keyring-file");
        let keyring = Keyring::new(Some(Vault::File), path.clone());
        assert!(keyring.find("Taro@Example.jp").password.is_none());
        let saved = keyring.save("Taro@Example.jp", "first \"secret\"").unwrap();
        assert_eq!(saved.vault, Vault::File);
        keyring.save("hanako@example.jp", "other").unwrap();
        keyring.save("taro@example.jp", "second").unwrap();
        let found = keyring.find("TARO@example.jp").password.unwrap();
        assert_eq!(found, ("second".to_owned(), Vault::File));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&path), 0o600);
            assert_eq!(mode(path.parent().unwrap()), 0o700);
        }
        assert_eq!(keyring.forget("taro@example.jp").0, vec![Vault::File]);
        assert_eq!(keyring.forget("taro@example.jp").0, Vec::<Vault>::new());
        assert!(keyring.find("taro@example.jp").password.is_none());
        assert!(keyring.find("hanako@example.jp").password.is_some());
        let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers.len(), 1, "{leftovers:?}");
    }

    #[cfg(unix)]
    #[test]
    fn a_file_others_can_read_is_refused_and_its_text_is_never_quoted() {
        use std::os::unix::fs::PermissionsExt;
        let (_dir, path) = scratch("keyring-refused");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, "\"a@b.jp\" = \"87654321\"\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let keyring = Keyring::new(Some(Vault::File), path.clone());
        let found = keyring.find("a@b.jp");
        assert!(found.password.is_none());
        assert_eq!(found.skipped[0].why, Why::Denied);
        assert!(found.skipped[0].detail.contains("chmod 600"));
        let refused = keyring.save("a@b.jp", "x").unwrap_err();
        assert_eq!(refused[0].why, Why::Denied);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        std::fs::write(&path, "\"a@b.jp\" = 87654321\n").unwrap();
        let e = read_file(&path).unwrap_err();
        assert!(!e.1.contains("87654321"), "{e:?}");
        std::fs::write(&path, "\"a@b.jp\" = \"87654321\n").unwrap();
        let e = read_file(&path).unwrap_err();
        assert!(!e.1.contains("87654321"), "{e:?}");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_kernel_keyring_keeps_and_forgets() {
        let (_dir, path) = scratch("keyring-kernel");
        let keyring = Keyring::new(Some(Vault::Kernel), path);
        let address = format!("kernel-{}@example.jp", std::process::id());
        assert_eq!(
            keyring.save(&address, "in memory").unwrap().vault,
            Vault::Kernel
        );
        keyring.save(&address, "replaced").unwrap();
        let found = keyring.find(&address.to_uppercase()).password.unwrap();
        assert_eq!(found, ("replaced".to_owned(), Vault::Kernel));
        assert_eq!(keyring.forget(&address).0, vec![Vault::Kernel]);
        assert!(keyring.find(&address).password.is_none());
    }

    #[test]
    fn without_a_session_bus_the_secret_service_is_passed_over_for_the_next_store() {
        let (_dir, path) = scratch("keyring-chain");
        let keyring = Keyring {
            vaults: vec![Vault::SecretService, Vault::File],
            file: path,
            bus: false,
        };
        let saved = keyring.save("chain@example.jp", "pw").unwrap();
        assert_eq!(saved.vault, Vault::File);
        assert_eq!(saved.skipped[0].vault, Vault::SecretService);
        assert_eq!(saved.skipped[0].why, Why::Absent);
        let found = keyring.find("chain@example.jp");
        assert_eq!(found.password.unwrap().1, Vault::File);
    }
}
