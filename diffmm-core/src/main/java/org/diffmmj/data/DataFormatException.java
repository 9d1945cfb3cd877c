package org.diffmmj.data;

/** Input data that cannot be used; the message names the file, the place in it, and what was expected. */
public final class DataFormatException extends RuntimeException {

    public DataFormatException(String message) {
        super(message);
    }

    public DataFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
