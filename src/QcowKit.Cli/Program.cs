return QcowKit.Cli.CliApplication.Run(args);
