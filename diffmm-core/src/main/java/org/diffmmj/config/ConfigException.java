package org.diffmmj.config;

/** A configuration value or file that cannot be accepted; the message names the key and the source. */
public final class ConfigException extends IllegalArgumentException {

    public ConfigException(String message) {
        super(message);
    }
}
