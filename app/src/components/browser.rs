//! The few browser capabilities the dashboard calls directly. On the server they do nothing.

/// A strong random password for an "Initial password" field, from the browser's CSPRNG.
pub fn generated_password() -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        let crypto = web_sys::window()?.crypto().ok()?;
        // Bytes that would bias the alphabet are skipped; 64 leave ample spare for 20 symbols.
        let mut bytes = [0u8; 64];
        crypto.get_random_values_with_u8_array(&mut bytes).ok()?;
        crate::model::generate_password(&bytes)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        None
    }
}

/// Puts `text` on the clipboard (the browser may ask the user first).
pub fn copy_to_clipboard(text: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(window) = web_sys::window() {
        // The returned promise only says whether the browser allowed it; nothing to do either way.
        let _ = window.navigator().clipboard().write_text(text);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = text;
}
