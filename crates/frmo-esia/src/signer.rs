//! Who signs the relying party's messages. ЕСИА wants the raw ГОСТ Р 34.10-2012 (256) signature
//! with Streebog-256, as `openssl dgst -engine gost -md_gost12_256 -sign KEY` prints it; CryptoPro's
//! `csptest` prints the same bytes reversed.

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
/// output: OpenSSL 3 with Debian's `libengine-gost-openssl`, or CryptoPro (whose output is reversed).
pub struct CommandSigner {
    pub program: String,
    pub args: Vec<String>,
    /// CryptoPro writes the signature little-endian: reverse it to OpenSSL's order.
    pub reverse: bool,
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
            reverse: false,
        }
    }

    /// CryptoPro's `csptest -keys -sign GOST12_256 -cont CONTAINER -keytype exchange`, reading the
    /// message from standard input and writing the signature to standard output.
    pub fn cryptopro(csptest: String, container: String) -> Self {
        CommandSigner {
            program: csptest,
            args: [
                "-keys",
                "-sign",
                "GOST12_256",
                "-cont",
                &container,
                "-keytype",
                "exchange",
                "-in",
                "/dev/stdin",
                "-out",
                "/dev/stdout",
            ]
            .into_iter()
            .map(String::from)
            .collect(),
            reverse: true,
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
            let mut signature = output.stdout;
            if self.reverse {
                signature.reverse();
            }
            Ok(signature)
        })
    }
}
