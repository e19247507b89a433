//! Where the passwords of watched accounts are kept: never in the history. The first of
//! these that works takes a password: the desktop's Secret Service (GNOME Keyring, KWallet,
//! KeePassXC) over D-Bus, the kernel's keyring, then a file in the data directory that only
//! its owner can read. A headless Linux box has no Secret Service, and a container may
//! refuse the kernel keyring: every save says which store took the password and why the
//! ones before it did not, and every lookup tries them in the same order.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// After the Secret Service did not answer in time, it is not asked again for this long:
/// a locked keyring must not cost every round its wait.
const SECRET_SERVICE_REST: Duration = Duration::from_secs(600);

/// The largest passwords file read.
const FILE_MAX: u64 = 1 << 20;

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

/// Where a password was saved, the stores passed over before it, and the stores after it
/// an older copy was removed from (a lookup where the store taken is out of reach, a cron
/// job without the desktop's bus, would find that copy).
#[derive(Clone, Debug)]
pub struct Saved {
    pub vault: Vault,
    pub skipped: Vec<Skipped>,
    pub replaced: Vec<Vault>,
}

/// A password looked up. Its Debug form never shows the password.
#[derive(Clone, Default)]
pub struct Found {
    /// The password and the store it came from.
    pub password: Option<(String, Vault)>,
    /// The stores that could not be asked.
    pub skipped: Vec<Skipped>,
}

impl std::fmt::Debug for Found {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Found")
            .field("vault", &self.password.as_ref().map(|(_, v)| v))
            .field("skipped", &self.skipped)
            .finish()
    }
}

/// The stores to try, in order, and where the file store is. Clones share what they learnt
/// of the Secret Service (that it did not answer).
#[derive(Clone, Debug)]
pub struct Keyring {
    vaults: Vec<Vault>,
    file: PathBuf,
    /// Whether this process has a D-Bus session bus to find the Secret Service on.
    bus: bool,
    /// Until when the Secret Service is not asked.
    resting: Arc<Mutex<Option<Instant>>>,
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
        Keyring {
            vaults,
            file,
            bus,
            resting: Arc::default(),
        }
    }

    /// Asks the Secret Service, unless there is no session bus or it did not answer in time
    /// a moment ago; a call that times out rests it.
    fn secret_service<T>(
        &self,
        call: impl FnOnce() -> Result<T, (Why, String)>,
    ) -> Result<T, (Why, String)> {
        if !self.bus {
            return Err((
                Why::Absent,
                "no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)".to_owned(),
            ));
        }
        let mut resting = self.resting.lock().unwrap_or_else(PoisonError::into_inner);
        if resting.is_some_and(|until| Instant::now() < until) {
            return Err((
                Why::Timeout,
                "it did not answer a moment ago; not asked again for now".to_owned(),
            ));
        }
        let result = call();
        if matches!(result, Err((Why::Timeout, _))) {
            *resting = Some(Instant::now() + SECRET_SERVICE_REST);
        }
        result
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

    /// Keeps `password` for `address` in the first store that takes it, and removes older
    /// copies from the stores after it.
    pub fn save(&self, address: &str, password: &str) -> Result<Saved, Vec<Skipped>> {
        let address = address.to_lowercase();
        let mut skipped = Vec::new();
        for (i, &vault) in self.vaults.iter().enumerate() {
            match self.put(vault, &address, password) {
                Ok(()) => {
                    let replaced = self.vaults[i + 1..]
                        .iter()
                        .copied()
                        .filter(|&later| self.remove(later, &address) == Ok(true))
                        .collect();
                    return Ok(Saved {
                        vault,
                        skipped,
                        replaced,
                    });
                }
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
            Vault::SecretService => self.secret_service(|| secret_service::put(address, password)),
            Vault::Kernel => kernel::put(address, password),
            Vault::File => change_file(&self.file, |table| {
                table.insert(address.to_owned(), password.to_owned());
                true
            })
            .map(|_| ()),
        }
    }

    fn get(&self, vault: Vault, address: &str) -> Result<Option<String>, (Why, String)> {
        match vault {
            Vault::SecretService => self.secret_service(|| secret_service::get(address)),
            Vault::Kernel => kernel::get(address),
            Vault::File => Ok(read_file_or_empty(&self.file)?.remove(address)),
        }
    }

    fn remove(&self, vault: Vault, address: &str) -> Result<bool, (Why, String)> {
        match vault {
            Vault::SecretService => self.secret_service(|| secret_service::remove(address)),
            Vault::Kernel => kernel::remove(address),
            Vault::File => change_file(&self.file, |table| table.remove(address).is_some()),
        }
    }
}

/// A passwords file: TOML, `"address" = "password"` a line, readable by its owner only.
/// Addresses are lower-cased. The errors never quote the file's text.
pub fn read_file(path: &Path) -> Result<BTreeMap<String, String>, (Why, String)> {
    use std::io::Read;
    let failed = |e: std::io::Error| (Why::Failed, e.to_string());
    // The mode is checked on the file opened, not on the name: nothing can be swapped in
    // between.
    let file = std::fs::File::open(path).map_err(failed)?;
    let meta = file.metadata().map_err(failed)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode();
        if mode & 0o077 != 0 {
            return Err((
                Why::Denied,
                format!("mode {:o}: others can read it (chmod 600)", mode & 0o777),
            ));
        }
    }
    if meta.len() > FILE_MAX {
        return Err((
            Why::Failed,
            format!("{} bytes: larger than a passwords file can be", meta.len()),
        ));
    }
    let mut text = String::new();
    file.take(FILE_MAX)
        .read_to_string(&mut text)
        .map_err(|_| (Why::Failed, "not UTF-8 text".to_owned()))?;
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

/// Reads, changes and writes the passwords file under an exclusive lock (a `.lock` file
/// beside it), so two processes saving at once lose nothing; `change` says whether it
/// changed anything (nothing written otherwise).
fn change_file(
    path: &Path,
    change: impl FnOnce(&mut BTreeMap<String, String>) -> bool,
) -> Result<bool, (Why, String)> {
    let failed = |e: std::io::Error| (Why::Failed, e.to_string());
    let dir = path.parent().unwrap_or(Path::new("."));
    crate::sqlite::create_private_dir(dir).map_err(failed)?;
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let lock = options.open(dir.join(name)).map_err(failed)?;
    lock.lock().map_err(failed)?;
    let mut table = read_file_or_empty(path)?;
    if !change(&mut table) {
        return Ok(false);
    }
    write_file(path, &table).map_err(failed)?;
    Ok(true)
}

/// Writes the table whole to a new file (mode 0600 from its creation) and renames it over
/// the old one, so a crash leaves the old file or the new, never half of one.
fn write_file(path: &Path, table: &BTreeMap<String, String>) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    let text = toml::to_string(table).map_err(std::io::Error::other)?;
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".{}.tmp", std::process::id()));
    let temporary = dir.join(name);
    // A file left by a crashed writer of the same pid goes first: the new one is made
    // fresh (create_new follows no link), so it has mode 0600 from its first byte.
    let _ = std::fs::remove_file(&temporary);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
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
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => Err((
                Why::Failed,
                "the keyring library stopped without an answer".to_owned(),
            )),
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => Err((
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

    /// A lookup never asks to unlock (a round has nobody to answer a prompt): a password
    /// in a locked keyring is refused at once.
    pub fn get(address: &str) -> Result<Option<String>, (Why, String)> {
        use dbus_secret_service::{EncryptionType, SecretService};
        let address = address.to_owned();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("maildoc-secret-service".to_owned())
            .spawn(move || {
                let found = (|| {
                    let ss = SecretService::connect(EncryptionType::Dh)
                        .map_err(|e| (Why::Absent, e.to_string()))?;
                    let attributes = std::collections::HashMap::from([
                        ("service", SERVICE),
                        ("username", &address),
                    ]);
                    let items = ss
                        .search_items(attributes)
                        .map_err(|e| (Why::Failed, e.to_string()))?;
                    let Some(item) = items.unlocked.first() else {
                        return if items.locked.is_empty() {
                            Ok(None)
                        } else {
                            Err((Why::Denied, "the keyring is locked".to_owned()))
                        };
                    };
                    let secret = item
                        .get_secret()
                        .map_err(|e| (Why::Failed, e.to_string()))?;
                    String::from_utf8(secret)
                        .map(Some)
                        .map_err(|_| (Why::Failed, "the secret is not text".to_owned()))
                })();
                let _ = tx.send(found);
            })
            .map_err(|e| (Why::Failed, e.to_string()))?;
        match rx.recv_timeout(LIMIT) {
            Ok(found) => found,
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => Err((
                Why::Failed,
                "the keyring library stopped without an answer".to_owned(),
            )),
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => Err((
                Why::Timeout,
                format!("no answer within {} s", LIMIT.as_secs()),
            )),
        }
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
        // The file and its lock; no temporary file left behind.
        assert_eq!(leftovers.len(), 2, "{leftovers:?}");
        assert!(
            leftovers
                .iter()
                .all(|n| !n.to_string_lossy().ends_with(".tmp"))
        );
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
    fn saves_at_once_from_many_threads_lose_nothing() {
        let (_dir, path) = scratch("keyring-race");
        std::thread::scope(|scope| {
            for i in 0..8 {
                let keyring = Keyring::new(Some(Vault::File), path.clone());
                scope.spawn(move || {
                    for round in 0..5 {
                        let address = format!("user{i}@example.jp");
                        keyring.save(&address, &format!("pw-{i}-{round}")).unwrap();
                    }
                });
            }
        });
        let table = read_file(&path).unwrap();
        assert_eq!(table.len(), 8, "{:?}", table.keys());
        assert_eq!(table["user3@example.jp"], "pw-3-4");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_save_removes_the_older_copy_a_later_store_held() {
        let (_dir, path) = scratch("keyring-replaced");
        let address = format!("replaced-{}@example.jp", std::process::id());
        Keyring::new(Some(Vault::File), path.clone())
            .save(&address, "old")
            .unwrap();
        let chain = Keyring {
            vaults: vec![Vault::Kernel, Vault::File],
            file: path.clone(),
            bus: false,
            resting: Arc::default(),
        };
        let saved = chain.save(&address, "new").unwrap();
        assert_eq!(
            (saved.vault, saved.replaced),
            (Vault::Kernel, vec![Vault::File])
        );
        assert!(!read_file(&path).unwrap().contains_key(&address));
        assert_eq!(chain.find(&address).password.unwrap().0, "new");
        chain.forget(&address);
    }

    #[test]
    fn a_found_password_is_never_in_its_debug_form() {
        let found = Found {
            password: Some(("s3cret-pw".to_owned(), Vault::File)),
            skipped: Vec::new(),
        };
        assert!(!format!("{found:?}").contains("s3cret-pw"));
    }

    #[test]
    fn without_a_session_bus_the_secret_service_is_passed_over_for_the_next_store() {
        let (_dir, path) = scratch("keyring-chain");
        let keyring = Keyring {
            vaults: vec![Vault::SecretService, Vault::File],
            file: path,
            bus: false,
            resting: Arc::default(),
        };
        let saved = keyring.save("chain@example.jp", "pw").unwrap();
        assert!(saved.replaced.is_empty());
        assert_eq!(saved.vault, Vault::File);
        assert_eq!(saved.skipped[0].vault, Vault::SecretService);
        assert_eq!(saved.skipped[0].why, Why::Absent);
        let found = keyring.find("chain@example.jp");
        assert_eq!(found.password.unwrap().1, Vault::File);
    }
}
