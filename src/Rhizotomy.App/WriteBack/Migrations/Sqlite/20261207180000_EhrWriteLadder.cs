using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Rhizotomy.App.WriteBack.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class EhrWriteLadder : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "ehr_write_memory",
                columns: table => new
                {
                    Issuer = table.Column<string>(type: "TEXT", maxLength: 512, nullable: false),
                    Strategy = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    Reason = table.Column<string>(type: "TEXT", maxLength: 300, nullable: true),
                    UpdatedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ehr_write_memory", x => x.Issuer);
                });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "ehr_write_memory");
        }
    }
}
