package io.modbackup.api.provider;

import io.modbackup.api.provider.BackupProvider.KeysPage;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;

/**
 * Page tokens for providers that list in key order and resume after the last key returned (local
 * files, memory). A token is opaque to callers; it carries the listing's prefix so that a token from
 * one listing is refused by another. Providers with native tokens (S3's continuation tokens) need
 * not use this.
 */
public final class PageTokens {
    private static final String VERSION = "after1:";

    private PageTokens() {
    }

    /**
     * The page of the first {@code pageSize} entries of {@code found}, which holds the entries after
     * the previous page in order, up to one more than {@code pageSize} so that a next page is known to
     * exist.
     */
    public static KeysPage page(List<String> found, int pageSize, String prefix) {
        if (found.size() <= pageSize) {
            return new KeysPage(found, null);
        }
        List<String> keys = found.subList(0, pageSize);
        return new KeysPage(keys, encode(prefix, keys.get(pageSize - 1)));
    }

    /** A token resuming the listing of {@code prefix} after {@code lastEntry}. */
    public static String encode(String prefix, String lastEntry) {
        String raw = VERSION + prefix.length() + ":" + prefix + lastEntry;
        return Base64.getUrlEncoder().withoutPadding().encodeToString(raw.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The entry after which the listing of {@code prefix} resumes, or {@code null} when
     * {@code token} is null (first page).
     *
     * @throws IllegalArgumentException when the token was not issued for a listing of {@code prefix}
     */
    public static String decode(String token, String prefix) {
        if (token == null) {
            return null;
        }
        try {
            String raw = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
            if (raw.startsWith(VERSION)) {
                String rest = raw.substring(VERSION.length());
                int colon = rest.indexOf(':');
                int prefixLength = Integer.parseInt(rest.substring(0, colon));
                String tokenPrefix = rest.substring(colon + 1, colon + 1 + prefixLength);
                if (tokenPrefix.equals(prefix)) {
                    return rest.substring(colon + 1 + prefixLength);
                }
            }
        } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
            // Not one of ours: refused below with the same message as a token from another listing.
        }
        throw new IllegalArgumentException("invalid page token '" + token + "' for listing '" + prefix
                + "': it was not issued by this provider for this listing; list again without a token");
    }
}
