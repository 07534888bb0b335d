//! Exports of the mocks for other stacks.
