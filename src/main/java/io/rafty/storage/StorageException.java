package io.rafty.storage;

/** A storage operation failed (I/O error, disk full, corruption). The node must stop acknowledging writes. */
public final class StorageException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public StorageException(String message, Throwable cause) {
        super(message, cause);
    }

    public StorageException(String message) {
        super(message);
    }
}
