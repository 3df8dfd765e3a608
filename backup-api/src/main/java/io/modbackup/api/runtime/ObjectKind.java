package io.modbackup.api.runtime;

/** The kinds of module object that another module can depend on. */
public enum ObjectKind { DEPOT, PSTATE, TOPOLOGY }
