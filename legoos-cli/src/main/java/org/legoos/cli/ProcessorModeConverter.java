package org.legoos.cli;

import org.legoos.api.ProcessorMode;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** {@code process}, {@code thread} or {@code auto}, any case, as the {@code processor.mode} key takes them. */
final class ProcessorModeConverter implements ITypeConverter<ProcessorMode> {
    @Override
    public ProcessorMode convert(String value) {
        for (ProcessorMode m : ProcessorMode.values()) {
            if (m.name().equalsIgnoreCase(value)) {
                return m;
            }
        }
        throw new TypeConversionException("mode must be process, thread or auto, got '" + value + "'");
    }
}
