package org.diffmmj.cli;

import java.math.BigDecimal;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;

/** Numbers and maps as a person reads them in the commands' text output (JSON keeps full precision). */
final class Text {

    private Text() {
    }

    /** Four significant digits; small or large magnitudes as 1e-05 rather than 1.0E-5 or 0.00001000. */
    static String number(Object v) {
        if (!(v instanceof Double || v instanceof Float)) {
            return String.valueOf(v);
        }
        double d = ((Number) v).doubleValue();
        if (d == 0 || !Double.isFinite(d)) {
            return d == 0 ? "0" : Double.toString(d);
        }
        double a = Math.abs(d);
        if (a >= 1e-3 && a < 1e6) {
            return new BigDecimal(String.format(Locale.ROOT, "%.4g", d)).stripTrailingZeros().toPlainString();
        }
        String s = String.format(Locale.ROOT, "%.3e", d);
        String mantissa = new BigDecimal(s.substring(0, s.indexOf('e'))).stripTrailingZeros().toPlainString();
        return mantissa + s.substring(s.indexOf('e'));
    }

    /** {key=value, ...} with every number through {@link #number}. */
    static String map(Map<?, ?> m) {
        StringJoiner j = new StringJoiner(", ", "{", "}");
        m.forEach((k, v) -> j.add(k + "=" + (v instanceof Map<?, ?> inner ? map(inner) : number(v))));
        return j.toString();
    }
}
