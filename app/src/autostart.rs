//! "Démarrer avec l'ordinateur": an XDG autostart entry,
//! `$XDG_CONFIG_HOME/autostart/passerelle.desktop` (`~/.config/...` by
//! default), that starts `passerelle --background` when the user logs in,
//! so the computer serves its neighbours without anyone opening the app.
//!
//! The file itself is the setting: desktop tools ("Applications au
//! démarrage") edit the same file, so the app reads it rather than keeping
//! a copy in `app.json` that could disagree. Written by hand rather than
//! with the `auto-launch` crate, which ignores `XDG_CONFIG_HOME`, does not
//! quote arguments (a data directory with a space would break) and does not
//! write atomically. The functions take the configuration directory as a
//! parameter, so tests never touch the process-wide environment.

use std::path::{Path, PathBuf};

use passerelle_core::{CoreError, write_atomic};

/// The entry's file name in the autostart directory.
const FILE_NAME: &str = "passerelle.desktop";

/// The user's configuration directory: `XDG_CONFIG_HOME`, or `~/.config`.
pub fn config_home() -> Option<PathBuf> {
    directories::BaseDirs::new().map(|d| d.config_dir().to_owned())
}

/// Where the entry lives under `config_home`.
pub fn entry_path(config_home: &Path) -> PathBuf {
    config_home.join("autostart").join(FILE_NAME)
}

/// Whether Passerelle starts with the computer.
pub fn is_enabled(config_home: &Path) -> bool {
    entry_path(config_home).is_file()
}

/// Makes Passerelle start in the background at login: `exe --background
/// --data-dir DATA_DIR`.
pub fn enable(config_home: &Path, exe: &Path, data_dir: &Path) -> Result<(), CoreError> {
    let path = entry_path(config_home);
    let dir = config_home.join("autostart");
    std::fs::create_dir_all(&dir).map_err(failed("create", &dir))?;
    write_atomic(&path, desktop_entry(exe, data_dir).as_bytes(), false)
}

/// Stops Passerelle from starting at login (nothing to do if it did not).
pub fn disable(config_home: &Path) -> Result<(), CoreError> {
    let path = entry_path(config_home);
    match std::fs::remove_file(&path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(failed("remove", &path)(e)),
        _ => Ok(()),
    }
}

/// An IO error on `path`, as the app shows them.
fn failed(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> CoreError {
    let path = path.to_owned();
    move |cause| CoreError::Io {
        action,
        path,
        cause,
    }
}

/// The binary to start at login: the AppImage when running from one (its
/// own path is a temporary mount), else this executable.
pub fn current_exe() -> std::io::Result<PathBuf> {
    match std::env::var_os("APPIMAGE") {
        Some(image) => Ok(PathBuf::from(image)),
        None => std::env::current_exe(),
    }
}

/// The entry's text (Desktop Entry Specification 1.5).
fn desktop_entry(exe: &Path, data_dir: &Path) -> String {
    let exec = [
        quote(&exe.to_string_lossy()),
        "--background".to_owned(),
        "--data-dir".to_owned(),
        quote(&data_dir.to_string_lossy()),
    ]
    .join(" ");
    format!(
        "[Desktop Entry]\n\
         Type=Application\n\
         Name=Passerelle\n\
         Comment=Passerelle reste disponible pour vos voisins\n\
         Comment[en]=Passerelle stays available to your neighbours\n\
         Exec={exec}\n\
         Icon=org.passerelle.Passerelle\n\
         Terminal=false\n\
         NoDisplay=true\n\
         X-GNOME-Autostart-enabled=true\n"
    )
}

/// One `Exec` argument: quoted when it holds a reserved character, with
/// `"`, `` ` ``, `$` and `\` escaped inside quotes, then every `\` doubled
/// again and `%` doubled, as the string-value level of the file requires.
fn quote(arg: &str) -> String {
    const RESERVED: &[char] = &[
        ' ', '\t', '\n', '"', '\'', '\\', '>', '<', '~', '|', '&', ';', '$', '*', '?', '#', '(',
        ')', '`',
    ];
    let arg = if arg.is_empty() || arg.contains(RESERVED) {
        let mut quoted = String::from("\"");
        for c in arg.chars() {
            if matches!(c, '"' | '`' | '$' | '\\') {
                quoted.push('\\');
            }
            quoted.push(c);
        }
        quoted.push('"');
        quoted
    } else {
        arg.to_owned()
    };
    arg.replace('\\', "\\\\").replace('%', "%%")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enabling_writes_an_entry_that_starts_the_background_and_disabling_removes_it() {
        let tmp = tempfile::tempdir().expect("a temporary directory");
        let config = tmp.path().join("config");
        assert!(!is_enabled(&config));
        disable(&config).expect("disabling what is not there is fine");

        let exe = Path::new("/opt/passerelle/bin/passerelle");
        let data = Path::new("/home/marion/.local/share/passerelle");
        enable(&config, exe, data).expect("the entry is written");
        assert!(is_enabled(&config));
        let text = std::fs::read_to_string(config.join("autostart/passerelle.desktop"))
            .expect("the entry is in the autostart directory");
        assert!(text.starts_with("[Desktop Entry]\n"), "{text}");
        assert!(text.contains("\nType=Application\n"), "{text}");
        assert!(
            text.contains(
                "\nExec=/opt/passerelle/bin/passerelle --background --data-dir /home/marion/.local/share/passerelle\n"
            ),
            "{text}"
        );

        enable(&config, exe, data).expect("enabling twice is fine");
        disable(&config).expect("the entry is removed");
        assert!(!is_enabled(&config));
        assert!(!config.join("autostart/passerelle.desktop").exists());
    }

    #[test]
    fn paths_with_spaces_quotes_and_percents_survive_the_exec_line() {
        assert_eq!(quote("/usr/bin/passerelle"), "/usr/bin/passerelle");
        assert_eq!(
            quote("/home/Jean Marc/Données"),
            "\"/home/Jean Marc/Données\""
        );
        // `$` escaped for the Exec level, then the backslash doubled for the
        // string level: a launcher reads `"\$HOME"` and runs `$HOME` verbatim.
        assert_eq!(quote("/tmp/$HOME"), "\"/tmp/\\\\$HOME\"");
        assert_eq!(quote("/tmp/100%"), "/tmp/100%%");
        assert_eq!(quote(""), "\"\"");
    }
}
