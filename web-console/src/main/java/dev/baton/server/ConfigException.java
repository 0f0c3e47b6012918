package dev.baton.server;

/** A setting that stops the server from starting; the message names the setting and says why. */
public class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message);
    }
}
