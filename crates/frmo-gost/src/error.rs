//! The error type of the crate. Messages are in Russian, like the rest of the
//! user-facing text of frmo.

/// Everything that can go wrong while reading keys, signing or verifying.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GostError {
    /// The curve OID is not one of the known GOST parameter sets.
    #[error("неизвестный набор параметров ГОСТ: {0}")]
    UnknownParamSet(String),
    /// The key algorithm OID is not GOST R 34.10-2012 (256 or 512).
    #[error("алгоритм ключа не поддерживается: {0}")]
    UnsupportedAlgorithm(String),
    /// The signature algorithm of a certificate is not GOST R 34.10-2012 with Streebog.
    #[error("алгоритм подписи сертификата не поддерживается: {0}")]
    UnsupportedSignatureAlgorithm(String),
    /// The key's parameter set does not match its algorithm (e.g. a 512-bit curve for a 256-bit key).
    #[error("набор параметров {oid} не подходит для ключа длиной {bits} бит")]
    ParamSetMismatch {
        /// The parameter set OID from the key.
        oid: String,
        /// The key size given by the algorithm OID.
        bits: usize,
    },
    /// Malformed DER.
    #[error("ошибка разбора DER: {0}")]
    Der(&'static str),
    /// Malformed PEM, or a PEM block with an unexpected label.
    #[error("ошибка разбора PEM: {0}")]
    Pem(String),
    /// The public key is not a valid point of the curve.
    #[error("неверный открытый ключ: {0}")]
    InvalidPublicKey(&'static str),
    /// The private key is out of range or encoded in an unknown way.
    #[error("неверный закрытый ключ: {0}")]
    InvalidPrivateKey(&'static str),
    /// The signature has the wrong length for the key.
    #[error("неверная длина подписи: ожидалось {expected} байт, получено {actual}")]
    SignatureLength {
        /// Expected length in bytes (64 or 128).
        expected: usize,
        /// Actual length in bytes.
        actual: usize,
    },
    /// The digest has the wrong length for the key.
    #[error("неверная длина хэша: ожидалось {expected} байт, получено {actual}")]
    DigestLength {
        /// Expected length in bytes (32 or 64).
        expected: usize,
        /// Actual length in bytes.
        actual: usize,
    },
    /// `r` or `s` is zero or not less than the group order.
    #[error("подпись повреждена: r или s вне допустимого диапазона")]
    MalformedSignature,
    /// The signature is well-formed but does not match the message and key.
    #[error("подпись не совпадает")]
    SignatureMismatch,
    /// The nonce `k` given for a deterministic signature is out of range, or gave `r = 0` or `s = 0`.
    #[error("недопустимое значение k для подписи")]
    InvalidNonce,
    /// The operating system's random number generator failed.
    #[error("ошибка генератора случайных чисел: {0}")]
    Random(String),
}
