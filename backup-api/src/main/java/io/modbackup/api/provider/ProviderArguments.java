package io.modbackup.api.provider;

import java.util.Locale;

/** Values in provider arguments: sizes such as {@code 16MiB}, and positive counts. */
public final class ProviderArguments {
    private static final String[][] UNITS = {{"GIB", "1073741824"}, {"MIB", "1048576"}, {"KIB", "1024"},
            {"GB", "1000000000"}, {"MB", "1000000"}, {"KB", "1000"}, {"B", "1"}};

    private ProviderArguments() {
    }

    /**
     * The bytes {@code value} names: a whole number with an optional unit (binary {@code KiB}, {@code MiB},
     * {@code GiB}; decimal {@code KB}, {@code MB}, {@code GB}; {@code B}), in any case.
     *
     * @param provider the provider's name for the error, e.g. {@code "S3"}
     * @throws IllegalArgumentException naming the value when it is not such a size
     */
    public static long size(String value, String provider) {
        String v = value.strip().toUpperCase(Locale.ROOT);
        long unit = 1;
        for (String[] suffix : UNITS) {
            if (v.endsWith(suffix[0])) {
                unit = Long.parseLong(suffix[1]);
                v = v.substring(0, v.length() - suffix[0].length());
                break;
            }
        }
        try {
            return Math.multiplyExact(Long.parseLong(v.strip()), unit);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException(provider + " size '" + value + "' is not a number with an optional unit"
                    + " (e.g. 16MiB)");
        }
    }

    /**
     * The positive whole number an option gives, or {@code defaultValue} when it is absent ({@code null}).
     *
     * @param provider the provider's name for the error, e.g. {@code "S3"}
     * @throws IllegalArgumentException naming the option when its value is not a positive number
     */
    public static long positive(String value, long defaultValue, String option, String provider) {
        if (value == null) {
            return defaultValue;
        }
        try {
            long n = Long.parseLong(value);
            if (n > 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw new IllegalArgumentException(provider + " option " + option + "=" + value + " must be a positive number");
    }
}
