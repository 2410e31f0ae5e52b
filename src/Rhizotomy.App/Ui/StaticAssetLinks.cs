using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.StaticAssets.Infrastructure;

namespace Rhizotomy.App.Ui;

/// <summary>
/// The pages link the wwwroot files by their fingerprinted names (<c>Assets["form.js"]</c> in a component): the
/// endpoints that render pages carry the static assets' <see cref="ResourceAssetCollection"/>, as
/// <c>MapRazorComponents().WithStaticAssets()</c> does for routed components.
/// </summary>
public static class StaticAssetLinks
{
    public static TBuilder WithStaticAssetLinks<TBuilder>(this TBuilder builder, IEndpointRouteBuilder endpoints) where TBuilder : IEndpointConventionBuilder
    {
        ResourceAssetCollection? collection = null;
        builder.Add(endpoint =>
        {
            // One link per file: the fingerprinted route (a "label" names the file), not its compressed variants.
            collection ??= new ResourceAssetCollection([.. StaticAssetsEndpointDataSourceHelper.ResolveStaticAssetDescriptors(endpoints, null)
                .Where(d => d.Selectors.Count == 0 && d.Properties.Any(p => p.Name == "label"))
                .DistinctBy(d => d.Properties.First(p => p.Name == "label").Value)
                .Select(d => new ResourceAsset(d.Route, [.. d.Properties.Select(p => new ResourceAssetProperty(p.Name, p.Value))]))]);
            endpoint.Metadata.Add(collection);
        });
        return builder;
    }
}
