package org.legoos.api;

/** A load or store to an address no mapped area covers (or a store to a read-only one). The process monitor survives it; the process gets exit code 139 unless it catches it. */
public class SegmentationFault extends LegoException {
    private static final long serialVersionUID = 1L;

    public SegmentationFault(String message) {
        super("BAD_ADDRESS", message);
    }
}
