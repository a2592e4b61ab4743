package dev.tidemark.secrets;

/** A secret that cannot be sealed or opened: its message says why, never what the secret is. */
public class SecretsException extends RuntimeException {

    public SecretsException(String message) {
        super(message);
    }
}
