/**
 * A stand-in for Rama's own provider interface, with its shape and contract, to build against.
 */
package com.rpl.rama.backup;
