//! One module per subcommand, each with one entry function.

pub mod serve;
