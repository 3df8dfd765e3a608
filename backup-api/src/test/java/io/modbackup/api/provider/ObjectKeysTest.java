package io.modbackup.api.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class ObjectKeysTest {
    @ParameterizedTest
    @ValueSource(strings = {"a", "blobs/ab/ab12", "backups/com.mycompany.MyModule/x-1/tasks/0.json", "a..b", ".hidden", "a b"})
    void validKeysPass(String key) {
        assertEquals(key, ObjectKeys.requireValidKey(key));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "/abs|relative path",
            "a/../b|'..' segments",
            "..|'..' segments",
            "./a|'.' segments",
            "a//b|empty segment",
            "a\\b|backslash",
            "dir/|must not end with '/'"})
    void invalidKeysAreRefusedNamingKeyAndRule(String key, String rule) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ObjectKeys.requireValidKey(key));
        assertTrue(e.getMessage().contains("'" + key + "'"), e.getMessage());
        assertTrue(e.getMessage().contains(rule), e.getMessage());
    }

    @Test
    void controlCharactersAreRefusedAndShownEscaped() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ObjectKeys.requireValidKey("a\nb"));
        assertTrue(e.getMessage().contains("a\\u000ab"), e.getMessage());
    }

    @Test
    void emptyAndOverlongKeysAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> ObjectKeys.requireValidKey(""));
        assertThrows(IllegalArgumentException.class, () -> ObjectKeys.requireValidKey(null));
        assertThrows(IllegalArgumentException.class, () -> ObjectKeys.requireValidKey("x".repeat(1025)));
    }

    @Test
    void prefixesMayBeEmptyPartialOrDirectories() {
        assertEquals("", ObjectKeys.requireValidPrefix(""));
        assertEquals("blobs/a", ObjectKeys.requireValidPrefix("blobs/a"));
        assertEquals("blobs/", ObjectKeys.requireDirectoryPrefix("blobs/"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ObjectKeys.requireDirectoryPrefix("blobs"));
        assertTrue(e.getMessage().contains("try 'blobs/'"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ObjectKeys.requireValidPrefix("/"));
        assertThrows(IllegalArgumentException.class, () -> ObjectKeys.requireValidPrefix(null));
    }

    @Test
    void pageTokensCarryTheirListing() {
        String token = PageTokens.encode("a/", "a/k1");
        assertEquals("a/k1", PageTokens.decode(token, "a/"));
        assertThrows(IllegalArgumentException.class, () -> PageTokens.decode(token, "b/"));
        assertThrows(IllegalArgumentException.class, () -> PageTokens.decode("%%%", "a/"));
        assertEquals(null, PageTokens.decode(null, "a/"));
    }
}
