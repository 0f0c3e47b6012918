package dev.baton.tools.http;

import org.junit.jupiter.api.Test;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NonPublicAddressesTest {

    @Test
    void specialPurposeBlocksAreNotPublic() throws Exception {
        for (String address : List.of("127.0.0.1", "127.255.255.254", "10.0.0.1", "172.16.0.1", "172.31.255.255", "192.168.0.1",
                "169.254.169.254", "169.254.0.1", "100.64.0.1", "100.127.255.255", "0.0.0.0", "0.1.2.3", "192.0.0.1", "192.0.2.1",
                "198.18.0.1", "198.51.100.1", "203.0.113.1", "224.0.0.1", "239.255.255.250", "240.0.0.1", "255.255.255.255",
                "::", "::1", "fe80::1", "febf::1", "fc00::1", "fd12:3456::1", "ff02::1", "2001:db8::1", "::127.0.0.1",
                "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "64:ff9b:1::1", "2002:7f00:1::1", "2002:a9fe:a9fe::1", "2001::1", "100::1")) {
            assertTrue(NonPublicAddresses.kind(InetAddress.getByName(address)).isPresent(), address);
        }
    }

    @Test
    void ipv4MappedFormsAreJudgedByTheirIpv4Address() throws Exception {
        assertTrue(NonPublicAddresses.kind(mapped(127, 0, 0, 1)).isPresent());
        assertTrue(NonPublicAddresses.kind(mapped(169, 254, 169, 254)).orElseThrow().contains("metadata"));
        assertFalse(NonPublicAddresses.kind(mapped(8, 8, 8, 8)).isPresent());
    }

    @Test
    void publicAddressesAre() throws Exception {
        for (String address : List.of("8.8.8.8", "1.1.1.1", "93.184.216.34", "172.32.0.1", "172.15.255.255", "100.128.0.1",
                "169.255.0.1", "192.169.0.1", "223.255.255.255", "2606:4700:4700::1111", "2a00:1450:4001::1",
                "64:ff9b::808:808", "2002:808:808::1")) {
            assertFalse(NonPublicAddresses.kind(InetAddress.getByName(address)).isPresent(), address);
        }
    }

    private static InetAddress mapped(int a, int b, int c, int d) throws Exception {
        byte[] bytes = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, (byte) a, (byte) b, (byte) c, (byte) d};
        return Inet6Address.getByAddress(null, bytes, -1);
    }
}
