namespace QcowKit.EndToEnd.Tests.Cake;

/// <summary>The end-to-end .cake script: everything it does goes through Cake.QcowKit's aliases.</summary>
internal static class CakeScript
{
    public static string Text(string addinPath) => $$"""
        #r "{{addinPath}}"

        var image = Argument<string>("image");

        Task("Validate").Does(() =>
        {
            QcowValidate(image, new QcowValidateSettings().WithLeaksAsErrors().WithDeep());
        });

        Task("Inspect").IsDependentOn("Validate").Does(() =>
        {
            var result = QcowValidate(image);
            var info = QcowInfo(image);
            Information("qcowkit-e2e: virtual-size={0} cluster-size={1} allocated={2}/{3}",
                info.VirtualSize, info.ClusterSize, result.AllocatedClusters, result.TotalClusters);
        });

        RunTarget("Inspect");
        """;
}
