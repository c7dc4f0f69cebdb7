//! Unit tests of `update()`: state + action → state + effects, no terminal, no server.
