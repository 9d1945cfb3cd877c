package org.diffmmj.config;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Describes one component of a config record as a user-facing key: its name in YAML files and
 * {@code --set}, one line of documentation, and the values it accepts. The default is not here:
 * it is the component's value in the record's {@code DEFAULTS} instance, so it stays typed.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.RECORD_COMPONENT)
public @interface Key {

    /** The key's name; empty means the component's name in snake_case. */
    String name() default "";

    /** One line saying what the key controls. */
    String doc();

    /** Smallest accepted number (inclusive unless {@link #minExclusive()}); lists check each element. */
    double min() default Double.NEGATIVE_INFINITY;

    boolean minExclusive() default false;

    /** Largest accepted number (inclusive unless {@link #maxExclusive()}). */
    double max() default Double.POSITIVE_INFINITY;

    boolean maxExclusive() default false;

    /** The only accepted values of a string or integer key; empty accepts any. */
    String[] choices() default {};

    /**
     * Names for an integer key's {@link #choices()}, in the same order: files and listings use the
     * name, and the code is still accepted (the reference code's numeric flags).
     */
    String[] names() default {};
}
