namespace QcowKit.EndToEnd.Tests.Cake;

/// <summary>
/// The end-to-end .cake script: everything it does to images goes through Cake.QcowKit's aliases.
/// Given a missing image it creates and seeds one; given an existing one it only validates and inspects it.
/// </summary>
internal static class CakeScript
{
    public static string Text(string addinPath) => $$"""
        #r "{{addinPath}}"

        var image = Argument<string>("image");

        Task("Create")
            .WithCriteria(() => !FileExists(image))
            .Does(() =>
            {
                QcowCreate(image, new QcowCreateSettings().WithSize("64M").WithClusterSize(65536).WithLazyRefcounts());
                QcowSeed(image, new QcowSeedSettings()
                    .WithGeneratedData(2L << 20, seed: 11, zeroBlockPercent: 20)
                    .WithTargetOffset(1L << 20)
                    .WithExistingImage());
            });

        Task("Validate")
            .IsDependentOn("Create")
            .Does(() =>
            {
                QcowValidate(image, new QcowValidateSettings().WithLeaksAsErrors().WithDeep());
            });

        Task("Inspect")
            .IsDependentOn("Validate")
            .Does(() =>
            {
                var info = QcowInfo(image);
                var result = QcowValidate(image);
                Information("qcowkit-e2e: virtual-size={0} cluster-size={1} lazy-refcounts={2} allocated={3}/{4}",
                    info.VirtualSize, info.ClusterSize, info.LazyRefcounts, result.AllocatedClusters, result.TotalClusters);
            });

        RunTarget("Inspect");
        """;
}
