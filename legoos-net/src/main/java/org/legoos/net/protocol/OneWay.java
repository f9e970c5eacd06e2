package org.legoos.net.protocol;

/** A message sent without a reply (status reports, streamed output, notifications). */
public interface OneWay extends Message {
}
