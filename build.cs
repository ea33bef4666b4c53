#:project build/QcowKit.Build.csproj
#:property PublishAot=false
var root = AppContext.GetData("EntryPointFileDirectoryPath") as string ?? Environment.CurrentDirectory;
return QcowKit.Build.BuildPipeline.Run(args, root);
