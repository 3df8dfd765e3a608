package io.modbackup.core.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class BackupIdTest {
    @Test
    void parsesRamasExampleFromTheRight() {
        BackupId id = BackupId.parse("com.mycompany.MyModule-00000193E038B5F8-DE");
        assertEquals("com.mycompany.MyModule", id.module());
        assertEquals(0x193E038B5F8L, id.createdMillis());
        assertEquals(0xDE, id.suffix());
        assertEquals("com.mycompany.MyModule-00000193E038B5F8-DE", id.toString());
    }

    @Test
    void moduleNamesWithDashesSurviveTheRoundTrip() {
        BackupId id = BackupId.create("my-module-2", 1_700_000_000_000L);
        assertEquals(id, BackupId.parse(id.toString()));
        assertEquals("my-module-2", BackupId.parse(id.toString()).module());
    }

    @Test
    void idsOfAModuleSortByCreationTime() {
        BackupId older = new BackupId("m", 1000, 0xFF);
        BackupId newer = new BackupId("m", 1001, 0x00);
        assertTrue(older.compareTo(newer) < 0);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "MyModule", "MyModule-00000193E038B5F8", "MyModule-193E038B5F8-DE",
            "MyModule-00000193E038B5FZ-DE", "MyModule-00000193E038B5F8-D", "-00000193E038B5F8-DE"})
    void malformedIdsAreRefusedWithTheExpectedForm(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BackupId.parse(text));
        assertTrue(e.getMessage().startsWith("malformed backup ID '" + text + "'"), e.getMessage());
        assertTrue(e.getMessage().contains("<module>-<16 hex digits>-<2 hex digits>"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"../../etc-00000193E038B5F8-DE", "a/b-00000193E038B5F8-DE", "..-00000193E038B5F8-DE",
            "com.x\\y-00000193E038B5F8-DE", "..hidden-00000193E038B5F8-DE"})
    void idsWhoseModuleCouldLeaveTheStoreLayoutAreRefusedByTheParser(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BackupId.parse(text));
        assertTrue(e.getMessage().startsWith("malformed backup ID '" + text + "': its module name"), e.getMessage());
    }

    @Test
    void partsAtTheEdgesOfTheirRangesAreAcceptedAndOneBeyondRefused() {
        assertEquals("m-0000000000000000-00", new BackupId("m", 0, 0).toString());
        assertEquals("m-0000000000000000-FF", new BackupId("m", 0, 0xFF).toString());
        assertThrows(IllegalArgumentException.class, () -> new BackupId("m", -1, 0));
        assertThrows(IllegalArgumentException.class, () -> new BackupId("m", 0, -1));
        assertThrows(IllegalArgumentException.class, () -> new BackupId("m", 0, 0x100));
        assertThrows(IllegalArgumentException.class, () -> new BackupId("", 0, 0));
        assertEquals(new BackupId("m", 0, 0), BackupId.parse("m-0000000000000000-00"), "the epoch itself is a valid time");
    }

    @Test
    void everyHexDigitInEitherCaseParsesAndTheCharactersAroundThemDoNot() {
        assertEquals(new BackupId("m", 0x0123456789ABCDEFL, 0xAF), BackupId.parse("m-0123456789abcdef-aF"));
        assertEquals(new BackupId("m", 0x0000000000FEDCBAL, 0x09), BackupId.parse("m-0000000000FEDCBA-09"));
        for (char c : new char[] {'/', ':', '@', 'G', '`', 'g'}) {
            assertThrows(IllegalArgumentException.class, () -> BackupId.parse("m-000000000000000" + c + "-00"), "'" + c + "'");
            assertThrows(IllegalArgumentException.class, () -> BackupId.parse("m-0000000000000000-0" + c), "'" + c + "'");
        }
        assertThrows(IllegalArgumentException.class, () -> BackupId.parse("m-8000000000000000-00"), "past the long range");
    }

    @Test
    void aModuleNameMayHoldSpacesButNoControlCharacter() {
        assertEquals("my module", BackupId.parse("my module-0000000000000001-00").module());
        assertEquals("~tilde", BackupId.parse("~tilde-0000000000000001-00").module());
        for (String control : new String[] {"\u001f", "\u007f", "\u0000"}) {
            assertThrows(IllegalArgumentException.class, () -> BackupId.parse("m" + control + "-0000000000000001-00"));
        }
    }

    @Test
    void theTextIsTheFormatAndTheOrderIsTheTextsOrderAcrossModulesThatPrefixEachOther() {
        java.util.Random random = new java.util.Random(7);
        List<String> modules = List.of("m", "m-0", "m-1", "m.a", "mm", "M", "a");
        List<BackupId> ids = new java.util.ArrayList<>();
        for (int i = 0; i < 500; i++) {
            long millis = random.nextInt(4) == 0 ? random.nextLong() >>> 1 : random.nextInt(3);
            ids.add(new BackupId(modules.get(random.nextInt(modules.size())), millis, random.nextInt(256)));
        }
        for (BackupId a : ids) {
            assertEquals(String.format(java.util.Locale.ROOT, "%s-%016X-%02X", a.module(), a.createdMillis(), a.suffix()),
                    a.toString());
            for (BackupId b : ids.subList(0, 60)) {
                assertEquals(Integer.signum(a.toString().compareTo(b.toString())), Integer.signum(a.compareTo(b)),
                        a + " against " + b);
            }
        }
    }
}
