//! Who signs the relying party's messages. ЕСИА wants the raw ГОСТ Р 34.10-2012 (256) signature
//! with Streebog-256, as `openssl dgst -engine gost -md_gost12_256 -sign KEY` prints it; CryptoPro's
//! `csptest` writes the same bytes reversed, into a file.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::process::Stdio;

use tokio::io::AsyncWriteExt;

#[derive(Debug, thiserror::Error)]
pub enum SignError {
    #[error("подпись запроса к ЕСИА: не удалось запустить {program}: {source}")]
    Spawn { program: String, source: std::io::Error },
    #[error("подпись запроса к ЕСИА: {program} завершилась с ошибкой: {stderr}")]
    Failed { program: String, stderr: String },
    #[error("подпись запроса к ЕСИА: ключ: {0}")]
    Key(String),
}

pub type SignFuture<'a> = Pin<Box<dyn Future<Output = Result<Vec<u8>, SignError>> + Send + 'a>>;

/// Signs a message for ЕСИА: returns the raw 64-byte signature in OpenSSL's byte order.
pub trait Signer: Send + Sync {
    fn sign<'a>(&'a self, message: &'a [u8]) -> SignFuture<'a>;
}

/// Signs in-process with a key file (PKCS#8 PEM, as `openssl genpkey -engine gost` writes it). For
/// the demo and the stand's tests; production keys live in an СКЗИ, behind the other signers.
pub struct BuiltinSigner {
    key: frmo_gost::PrivateKey,
}

impl BuiltinSigner {
    pub fn from_pem(pem: &str) -> Result<Self, SignError> {
        Ok(BuiltinSigner { key: frmo_gost::PrivateKey::from_pem(pem).map_err(|e| SignError::Key(e.to_string()))? })
    }
}

impl Signer for BuiltinSigner {
    fn sign<'a>(&'a self, message: &'a [u8]) -> SignFuture<'a> {
        Box::pin(async move { Ok(self.key.sign(message)) })
    }
}

/// Runs an external program with the message on standard input and the signature on standard
/// output: OpenSSL 3 with Debian's `libengine-gost-openssl`, whose output is already in the order
/// ЕСИА wants.
pub struct CommandSigner {
    pub program: String,
    pub args: Vec<String>,
}

impl CommandSigner {
    /// `openssl dgst -engine gost -md_gost12_256 -sign KEY` (the key file in PEM).
    pub fn openssl(key: PathBuf) -> Self {
        CommandSigner {
            program: "openssl".into(),
            args: ["dgst", "-engine", "gost", "-md_gost12_256", "-binary", "-sign"]
                .into_iter()
                .map(String::from)
                .chain([key.display().to_string()])
                .collect(),
        }
    }
}

impl Signer for CommandSigner {
    fn sign<'a>(&'a self, message: &'a [u8]) -> SignFuture<'a> {
        Box::pin(async move {
            let spawn_error = |source| SignError::Spawn { program: self.program.clone(), source };
            let mut child = tokio::process::Command::new(&self.program)
                .args(&self.args)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .kill_on_drop(true)
                .spawn()
                .map_err(spawn_error)?;
            if let Some(mut stdin) = child.stdin.take() {
                stdin.write_all(message).await.map_err(spawn_error)?;
            }
            let output = child.wait_with_output().await.map_err(spawn_error)?;
            if !output.status.success() {
                return Err(SignError::Failed {
                    program: self.program.clone(),
                    stderr: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
                });
            }
            Ok(output.stdout)
        })
    }
}

/// CryptoPro CSP's `csptest`, which exchanges data through files: its standard output carries
/// status text («[ErrorCode: 0x00000000]» and the like), never the signature. The message goes to a
/// temporary file, `csptest -keys -sign GOST12_256 -cont CONTAINER -keytype exchange -in MESSAGE
/// -out SIGNATURE [-password PIN]` signs it, and the signature is read from the other file and
/// reversed (CryptoPro writes it little-endian). The flags are those public relying parties pass:
/// ofstudio/go-api-epgu@f3763d9a8140fb25e7240e19d0ca23e4aaee309e `esia/signature/local-cp-gost.go`
/// (temporary files, `-keys … -cont`, the reversal) and
/// ilimurzin/esia@1b20270ca4e50bb0ef119f43b8d8887fe17e6e66 `src/Esia/Signer/CliCryptoProSigner.php`
/// (the optional `-password`). Both files live in a private temporary directory removed after
/// each signature.
pub struct CryptoProSigner {
    /// The `csptest` program, e.g. `/opt/cprocsp/bin/amd64/csptest`.
    pub csptest: String,
    /// The key container, as `csptest -keyset -enum_cont -fqcn` lists it.
    pub container: String,
    /// The container's PIN, when it has one. `csptest` takes it on the command line: run the
    /// signer where other users cannot list processes.
    pub pin: Option<String>,
    /// Where the temporary files go (the system's temporary directory when `None`), e.g. a private
    /// tmpfs; ilimurzin's signer has the same setting.
    pub temp_dir: Option<PathBuf>,
}

impl CryptoProSigner {
    /// The arguments for signing `input` into `output` (the PIN, if any, last).
    pub fn args(&self, input: &std::path::Path, output: &std::path::Path) -> Vec<std::ffi::OsString> {
        let mut args: Vec<std::ffi::OsString> =
            ["-keys", "-sign", "GOST12_256", "-cont", &self.container, "-keytype", "exchange", "-in"]
                .into_iter()
                .map(Into::into)
                .collect();
        args.extend([input.into(), "-out".into(), output.into()]);
        if let Some(pin) = self.pin.as_deref().filter(|p| !p.is_empty()) {
            args.extend(["-password".into(), pin.into()]);
        }
        args
    }
}

impl Signer for CryptoProSigner {
    fn sign<'a>(&'a self, message: &'a [u8]) -> SignFuture<'a> {
        Box::pin(async move {
            let io_error = |source| SignError::Spawn { program: self.csptest.clone(), source };
            let mut builder = tempfile::Builder::new();
            builder.prefix("frmo-csp");
            let dir = match &self.temp_dir {
                Some(parent) => builder.tempdir_in(parent),
                None => builder.tempdir(),
            }
            .map_err(io_error)?;
            let (input, output) = (dir.path().join("message"), dir.path().join("message.sig"));
            std::fs::write(&input, message).map_err(io_error)?;
            let result = tokio::process::Command::new(&self.csptest)
                .args(self.args(&input, &output))
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .kill_on_drop(true)
                .output()
                .await
                .map_err(io_error)?;
            // csptest reports on standard output; a failure's reason may be on either stream.
            let status_text = || {
                let text = [&result.stdout[..], &result.stderr[..]].concat();
                String::from_utf8_lossy(&text).trim().to_owned()
            };
            if !result.status.success() {
                return Err(SignError::Failed { program: self.csptest.clone(), stderr: status_text() });
            }
            let mut signature = match std::fs::read(&output) {
                Ok(signature) if !signature.is_empty() => signature,
                _ => {
                    return Err(SignError::Failed {
                        program: self.csptest.clone(),
                        stderr: format!("файл подписи не записан; вывод программы: {}", status_text()),
                    });
                }
            };
            signature.reverse();
            Ok(signature)
        })
    }
}
