package dev.actorfarm.runtime;

/** Marker of actor messages that cross the network between cluster nodes (Jackson CBOR). */
public interface CborSerializable {}
