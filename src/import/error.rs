//! Why a published file could not be imported, in Chinese, naming the file
//! and what is missing.

/// An input that is not a readable published report.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file could not be read.
    #[error("{file}: 无法读取：{reason}")]
    Io {
        /// The file.
        file: String,
        /// Why.
        reason: String,
    },
    /// Not one of the formats import reads.
    #[error("{file}: 无法导入这种文件：应为 .txt、.docx、.html（.htm）或 .pdf")]
    UnknownKind {
        /// The file.
        file: String,
    },
    /// Over the size limit.
    #[error("{file}: 文件过大（{size} 字节），上限 {limit} 字节")]
    TooLarge {
        /// The file.
        file: String,
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// A text file that is not UTF-8.
    #[error("{file}: 不是 UTF-8 编码的文本（请另存为 UTF-8 后再导入）")]
    NotUtf8 {
        /// The file.
        file: String,
    },
    /// An encrypted PDF.
    #[error(
        "{file}: PDF 已加密（需要密码才能打开），无法读取其文字；请提供未加密的 PDF，或 Word、网页版本"
    )]
    Encrypted {
        /// The file.
        file: String,
    },
    /// A PDF without a text layer.
    #[error(
        "{file}: PDF 没有文字层（可能是扫描件或图片），无法读取；本工具不做文字识别（OCR），请提供带文字层的 PDF，或 Word、网页版本"
    )]
    Scanned {
        /// The file.
        file: String,
    },
    /// pdftotext is not installed.
    #[error(
        "{file}: 读取 PDF 需要 poppler 的 pdftotext，但在 PATH 中没有找到（Debian/Ubuntu：apt install poppler-utils）"
    )]
    NoPdftotext {
        /// The file.
        file: String,
    },
    /// A PDF pdftotext cannot read.
    #[error("{file}: 无法读取 PDF：{reason}")]
    BadPdf {
        /// The file.
        file: String,
        /// Why.
        reason: String,
    },
    /// A broken or foreign .docx.
    #[error("{file}: 不是可读的 Word 文档（.docx）：{reason}")]
    BadDocx {
        /// The file.
        file: String,
        /// Why.
        reason: String,
    },
    /// Readable, but not an annual report.
    #[error("{file}: 不是政府信息公开工作年度报告：{missing}")]
    NotAReport {
        /// The file.
        file: String,
        /// What was not found.
        missing: String,
    },
}
